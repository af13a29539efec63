/**
 * The admission policy objects Palisade reads, shaped as admissionregistration.k8s.io/v1
 * (ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding) and v1beta1
 * (MutatingAdmissionPolicy, MutatingAdmissionPolicyBinding). Fields are read defensively:
 * compile checks them and reports every problem with its field path.
 */
import type { KubeObject, LabelSelector } from '../core/index.js';

/** The API group of every native admission policy kind. */
export const ADMISSION_GROUP = 'admissionregistration.k8s.io';
/** Palisade's own policy kind: a ValidatingAdmissionPolicy and its binding in one object. */
export const PALISADE_POLICY_API_VERSION = 'palisade.dev/v1alpha1';
export const PALISADE_POLICY_KIND = 'CELPolicy';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
export type ValidationAction = 'Deny' | 'Warn' | 'Audit';
export type FailurePolicy = 'Fail' | 'Ignore';

/** One rule of matchConstraints/resourceRules (NamedRuleWithOperations). */
export interface ResourceRule {
  resourceNames?: string[];
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: 'Cluster' | 'Namespaced' | '*';
}

/** MatchResources. */
export interface MatchResources {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  resourceRules?: ResourceRule[];
  excludeResourceRules?: ResourceRule[];
  matchPolicy?: 'Exact' | 'Equivalent';
}

export interface NamedExpression {
  name: string;
  expression: string;
}

export interface Validation {
  expression: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  /** Palisade extension (dropped on export): the field the validation is about, for locations. */
  fieldPath?: string;
}

export interface AuditAnnotation {
  key: string;
  valueExpression: string;
}

export interface ParamKind {
  apiVersion: string;
  kind: string;
}

export interface ParamRef {
  name?: string;
  namespace?: string;
  selector?: LabelSelector;
  parameterNotFoundAction?: 'Allow' | 'Deny';
}

export interface ValidatingPolicySpec {
  paramKind?: ParamKind;
  matchConstraints?: MatchResources;
  validations?: Validation[];
  failurePolicy?: FailurePolicy;
  auditAnnotations?: AuditAnnotation[];
  matchConditions?: NamedExpression[];
  variables?: NamedExpression[];
}

export interface Mutation {
  patchType: 'ApplyConfiguration' | 'JSONPatch';
  applyConfiguration?: { expression: string };
  jsonPatch?: { expression: string };
}

export interface MutatingPolicySpec {
  paramKind?: ParamKind;
  matchConstraints?: MatchResources;
  variables?: NamedExpression[];
  mutations?: Mutation[];
  failurePolicy?: FailurePolicy;
  matchConditions?: NamedExpression[];
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

export interface BindingSpec {
  policyName: string;
  paramRef?: ParamRef;
  matchResources?: MatchResources;
  validationActions?: ValidationAction[];
}

/** A Kubernetes `GroupVersionKind` / `GroupVersionResource` as AdmissionRequest carries them. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** Who made a request (authentication.k8s.io/v1 UserInfo). */
export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The attributes of one admission request: what the webhook reads from an AdmissionReview. */
export interface RequestAttributes {
  operation: Operation;
  object: KubeObject | null;
  oldObject?: KubeObject | null;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  name?: string;
  namespace?: string;
  userInfo?: UserInfo;
  dryRun?: boolean;
  /** The Namespace object of `namespace` (null or absent for cluster-scoped requests). */
  namespaceObject?: KubeObject | null;
  /** Operation options (e.g. CreateOptions), exposed as `request.options`. */
  options?: Record<string, unknown>;
}
