import type { ResourceRef, SourceLocation } from '../core/index.js';

/** One PolicyRule as the authorizer reads it; absent lists are empty. */
export interface RbacRule {
  verbs: readonly string[];
  apiGroups: readonly string[];
  resources: readonly string[];
  resourceNames: readonly string[];
  nonResourceURLs: readonly string[];
}

/** A subject of a binding (rbac.authorization.k8s.io/v1 Subject). */
export interface RbacSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  /** Only for ServiceAccount; for a RoleBinding an empty namespace means the binding's own. */
  namespace?: string;
}

/** A Role or ClusterRole with its effective rules (aggregation resolved). */
export interface RbacRole {
  kind: 'Role' | 'ClusterRole';
  name: string;
  /** Set for Role only. */
  namespace?: string;
  /** The effective rules: the declared ones, or for an aggregated ClusterRole the union of the selected roles' rules. */
  rules: readonly RbacRule[];
  /** Names of the ClusterRoles whose rules an aggregated ClusterRole took. */
  aggregatedFrom?: readonly string[];
  labels: Readonly<Record<string, string>>;
  ref: ResourceRef;
  location?: SourceLocation;
}

/** A RoleBinding or ClusterRoleBinding. `role` is undefined when the referenced role does not exist. */
export interface RbacBinding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** Set for RoleBinding only. */
  namespace?: string;
  roleRef: { kind: string; name: string };
  subjects: readonly RbacSubject[];
  role: RbacRole | undefined;
  ref: ResourceRef;
  location?: SourceLocation;
}

/** A problem found while building the model (never a crash): stable code, message, location. */
export interface RbacIssue {
  code:
    | 'rbac_binding_missing_role'
    | 'rbac_bootstrap_role_not_loaded'
    | 'rbac_aggregation_cycle'
    /** A rule, subject or selector of the wrong shape (only objects that skipped the loader's schema check). */
    | 'rbac_malformed';
  severity: 'high' | 'medium' | 'low';
  message: string;
  ref: ResourceRef;
  location?: SourceLocation;
  fieldPath?: string;
}

/** An authenticated identity as the authorizer sees it. */
export interface UserInfo {
  name: string;
  groups: readonly string[];
}

/** The attributes of one request (k8s.io/apiserver authorizer.Attributes). */
export type RequestAttributes =
  | {
      resourceRequest: true;
      verb: string;
      apiGroup: string;
      resource: string;
      subresource: string;
      /** `''` for a cluster-wide or cluster-scoped request. */
      namespace: string;
      /** `''` when the request names no object (list, create, deletecollection). */
      name: string;
    }
  | { resourceRequest: false; verb: string; path: string };

/** Which binding, role and rule allowed a request. */
export interface GrantReason {
  binding: RbacBinding;
  role: RbacRole;
  ruleIndex: number;
}

/** The outcome of authorizing one request. */
export interface Decision {
  allowed: boolean;
  /** Set when the request is allowed by RBAC. */
  reason?: GrantReason;
  /** Set when allowed by membership of a privileged group (system:masters), which bypasses RBAC. */
  privilegedGroup?: string;
}
