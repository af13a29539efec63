/**
 * Validates a decoded request body as an AdmissionReview and extracts its attributes.
 * Every problem is returned with the field at fault, so a 400 answer says exactly what is
 * wrong; nothing here throws on any JSON value.
 */
import type { KubeObject } from '../core/index.js';
import {
  ADMISSION_VERSIONS,
  OPERATIONS,
  type AdmissionAttributes,
  type AdmissionVersion,
  type GroupVersionKind,
  type GroupVersionResource,
  type Operation,
  type UserInfo,
} from './types.js';

/** One reason a review was rejected, with its field path in the review. */
export interface ReviewProblem {
  field: string;
  message: string;
}

/** A review that passed validation. */
export interface ParsedReview {
  apiVersion: AdmissionVersion;
  attributes: AdmissionAttributes;
}

/** The outcome of `parseAdmissionReview`. */
export type ParseReviewResult = { ok: true; value: ParsedReview } | { ok: false; problems: ReviewProblem[] };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isKubeObject(v: unknown): v is KubeObject {
  return isObject(v) && typeof v.apiVersion === 'string' && typeof v.kind === 'string';
}

/** Validates an AdmissionReview (v1 or v1beta1) and returns its attributes, or every problem found. */
export function parseAdmissionReview(body: unknown): ParseReviewResult {
  const problems: ReviewProblem[] = [];
  const bad = (field: string, message: string): void => {
    problems.push({ field, message });
  };
  if (!isObject(body)) return { ok: false, problems: [{ field: '', message: 'body must be a JSON object' }] };
  if (body.kind !== 'AdmissionReview')
    bad('kind', `kind must be AdmissionReview (got ${describe(body.kind)})`);
  const apiVersion = body.apiVersion;
  if (!(ADMISSION_VERSIONS as readonly unknown[]).includes(apiVersion))
    bad(
      'apiVersion',
      `apiVersion must be one of ${ADMISSION_VERSIONS.join(', ')} (got ${describe(apiVersion)})`,
    );
  const req = body.request;
  if (!isObject(req)) {
    bad('request', 'request must be an object');
    return { ok: false, problems };
  }

  const uid = req.uid;
  if (typeof uid !== 'string' || uid === '') bad('request.uid', 'request.uid must be a non-empty string');
  const operation = req.operation;
  if (!(OPERATIONS as readonly unknown[]).includes(operation))
    bad(
      'request.operation',
      `request.operation must be one of ${OPERATIONS.join(', ')} (got ${describe(operation)})`,
    );
  const kind = gvk(req.kind, 'request.kind', bad);
  const resource = gvr(req.resource, 'request.resource', bad);
  const subResource = optionalString(req.subResource, 'request.subResource', bad);
  const name = optionalString(req.name, 'request.name', bad);
  const namespace = optionalString(req.namespace, 'request.namespace', bad);
  const userInfo = user(req.userInfo, bad);
  const dryRun = req.dryRun;
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== 'boolean')
    bad('request.dryRun', 'request.dryRun must be a boolean');

  // The API server sends objects without TypeMeta at times (a conversion that leaves it empty,
  // e.g. for built-in types): the GVK of the request then names them, as it does for the API server.
  const object = objectField(withTypeMeta(req.object, kind), 'request.object', bad);
  const oldObject = objectField(withTypeMeta(req.oldObject, kind), 'request.oldObject', bad);
  if ((operation === 'CREATE' || operation === 'UPDATE') && object === undefined && req.object === undefined)
    bad('request.object', `request.object is required for ${operation}`);
  if ((operation === 'CREATE' || operation === 'UPDATE') && req.object === null)
    bad('request.object', `request.object is required for ${operation}`);
  if (operation === 'UPDATE' && (oldObject === undefined || req.oldObject === null))
    bad('request.oldObject', 'request.oldObject is required for UPDATE');

  if (problems.length > 0) return { ok: false, problems };
  const attributes: AdmissionAttributes = {
    uid: uid as string,
    operation: operation as Operation,
    kind: kind as GroupVersionKind,
    resource: resource as GroupVersionResource,
    subResource: subResource ?? '',
    name: name ?? '',
    namespace: namespace ?? '',
    userInfo: userInfo as UserInfo,
    dryRun: dryRun === true,
  };
  if (object) attributes.object = object;
  if (oldObject) attributes.oldObject = oldObject;
  return { ok: true, value: { apiVersion: apiVersion as AdmissionVersion, attributes } };
}

/** Reads the uid of a review that may be otherwise invalid, so an error answer can still echo it. */
export function reviewUid(body: unknown): string | undefined {
  if (!isObject(body) || !isObject(body.request)) return undefined;
  const uid = body.request.uid;
  return typeof uid === 'string' ? uid : undefined;
}

type Bad = (field: string, message: string) => void;

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (v === null) return 'null';
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

function optionalString(v: unknown, field: string, bad: Bad): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    bad(field, `${field} must be a string`);
    return undefined;
  }
  return v;
}

function gvk(v: unknown, field: string, bad: Bad): GroupVersionKind | undefined {
  if (!isObject(v)) {
    bad(field, `${field} must be an object with group, version and kind`);
    return undefined;
  }
  const group = optionalString(v.group, `${field}.group`, bad) ?? '';
  const version = optionalString(v.version, `${field}.version`, bad) ?? '';
  const kind = optionalString(v.kind, `${field}.kind`, bad) ?? '';
  if (kind === '') bad(`${field}.kind`, `${field}.kind must be a non-empty string`);
  return { group, version, kind };
}

function gvr(v: unknown, field: string, bad: Bad): GroupVersionResource | undefined {
  if (!isObject(v)) {
    bad(field, `${field} must be an object with group, version and resource`);
    return undefined;
  }
  const group = optionalString(v.group, `${field}.group`, bad) ?? '';
  const version = optionalString(v.version, `${field}.version`, bad) ?? '';
  const resource = optionalString(v.resource, `${field}.resource`, bad) ?? '';
  if (resource === '') bad(`${field}.resource`, `${field}.resource must be a non-empty string`);
  return { group, version, resource };
}

function user(v: unknown, bad: Bad): UserInfo | undefined {
  // The API server always sends userInfo; an absent one is treated as an anonymous caller.
  if (v === undefined || v === null) return { username: '', groups: [] };
  if (!isObject(v)) {
    bad('request.userInfo', 'request.userInfo must be an object');
    return undefined;
  }
  const username = optionalString(v.username, 'request.userInfo.username', bad) ?? '';
  const out: UserInfo = { username, groups: [] };
  const uid = optionalString(v.uid, 'request.userInfo.uid', bad);
  if (uid !== undefined) out.uid = uid;
  if (v.groups !== undefined && v.groups !== null) {
    if (!Array.isArray(v.groups) || !v.groups.every((g) => typeof g === 'string'))
      bad('request.userInfo.groups', 'request.userInfo.groups must be a list of strings');
    else out.groups = v.groups;
  }
  if (v.extra !== undefined && v.extra !== null) {
    const extra = v.extra;
    if (
      !isObject(extra) ||
      !Object.values(extra).every((x) => Array.isArray(x) && x.every((s) => typeof s === 'string'))
    )
      bad('request.userInfo.extra', 'request.userInfo.extra must map strings to lists of strings');
    else out.extra = extra as Record<string, string[]>;
  }
  return out;
}

/** An object missing apiVersion or kind (absent or empty) gets them from the request's kind. */
function withTypeMeta(v: unknown, kind: GroupVersionKind | undefined): unknown {
  if (!isObject(v) || kind === undefined || kind.kind === '' || kind.version === '') return v;
  const missing = (x: unknown): boolean => x === undefined || x === null || x === '';
  if (!missing(v.apiVersion) && !missing(v.kind)) return v;
  const apiVersion = missing(v.apiVersion)
    ? kind.group === ''
      ? kind.version
      : `${kind.group}/${kind.version}`
    : v.apiVersion;
  const out: Json = { apiVersion, kind: missing(v.kind) ? kind.kind : v.kind };
  for (const k of Object.keys(v))
    if (k !== 'apiVersion' && k !== 'kind')
      Object.defineProperty(out, k, { value: v[k], enumerable: true, writable: true, configurable: true });
  return out;
}

function objectField(v: unknown, field: string, bad: Bad): KubeObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isKubeObject(v)) {
    bad(field, `${field} must be an object with string apiVersion and kind`);
    return undefined;
  }
  if (v.metadata !== undefined && v.metadata !== null && !isObject(v.metadata)) {
    bad(`${field}.metadata`, `${field}.metadata must be an object`);
    return undefined;
  }
  return v;
}
