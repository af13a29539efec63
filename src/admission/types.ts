/**
 * AdmissionReview wire shapes (admission.k8s.io/v1 and v1beta1 share one schema) and the
 * request attributes Palisade evaluates. Only the fields Palisade reads or writes are typed;
 * everything else in a review is kept as parsed JSON and never echoed back.
 */
import type { KubeObject } from '../core/index.js';

/** The two AdmissionReview versions the API server may send; the answer uses the one asked. */
export const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
/** One of `ADMISSION_VERSIONS`. */
export type AdmissionVersion = (typeof ADMISSION_VERSIONS)[number];

/** Operations an admission request can carry. */
export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
/** One of `OPERATIONS`. */
export type Operation = (typeof OPERATIONS)[number];

/** metav1.GroupVersionKind as admission sends it. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** metav1.GroupVersionResource as admission sends it. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** authenticationv1.UserInfo of the requester. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/**
 * Everything about one request that controls and policies may read, already validated.
 * `object` is absent for DELETE (and for CONNECT it is the connect options, e.g. PodExecOptions).
 */
export interface AdmissionAttributes {
  uid: string;
  operation: Operation;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  /** `''` for the main resource, otherwise e.g. `ephemeralcontainers`, `exec`, `scale`, `status`. */
  subResource: string;
  name: string;
  /** `''` for cluster-scoped objects. */
  namespace: string;
  userInfo: UserInfo;
  dryRun: boolean;
  object?: KubeObject;
  oldObject?: KubeObject;
  /** The request namespace's Namespace object when known (labels select the mode). */
  namespaceObject?: KubeObject;
}

/** metav1.Status as carried by an admission response. */
export interface AdmissionStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  code: number;
  reason: string;
  message: string;
  details?: { causes: { reason: string; message: string; field: string }[] };
}

/** The `response` part of an AdmissionReview. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  /** base64 of a JSON array of RFC 6902 operations. */
  patch?: string;
  patchType?: 'JSONPatch';
  auditAnnotations?: Record<string, string>;
  warnings?: string[];
}

/** A complete AdmissionReview answer in the version the request used. */
export interface AdmissionReviewResponse {
  apiVersion: AdmissionVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** One RFC 6902 JSON Patch operation. */
export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };
