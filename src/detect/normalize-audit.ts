/**
 * Kubernetes audit events to the one event shape: plain `audit.k8s.io/v1` Events (files, the
 * API server's webhook backend, EKS CloudWatch exports, which carry the same Event with extra
 * fields), AKS diagnostic records (the Event as a JSON string in `properties.log`) and GKE
 * Cloud Logging entries (`protoPayload` with `methodName`/`resourceName`). Pure.
 */
import ipaddr from 'ipaddr.js';
import type { Result } from '../core/index.js';
import { isPublicIPv4, parseIPv4 } from './ip.js';
import { emptyEvent, type ActorKind, type DetectEvent, type EventProvider } from './event.js';

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}
/** Shared empty object for fields that are only read (never handed out in an event). */
const NOTHING: Json = Object.freeze({});
/** `obj` for reading only: no new object when the field is absent. */
function view(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : NOTHING;
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
/** The strings of a list: the list itself when it holds only strings (the input is not copied). */
function strings(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  for (let i = 0; i < v.length; i++)
    if (typeof v[i] !== 'string') return v.filter((x): x is string => typeof x === 'string');
  return v as string[];
}
function isEmpty(o: Json): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return false;
  return true;
}

/** Whether an address is globally routable (not private, loopback, link-local, CGNAT, reserved). */
export function isPublicIP(ip: string): boolean {
  const fast = parseIPv4(ip);
  if (fast !== undefined) return isPublicIPv4(fast);
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  return range === 'unicast';
}

/** Classifies an authenticated identity. */
export function actorKind(user: string, groups: readonly string[]): ActorKind {
  if (
    user === 'system:anonymous' ||
    user === 'system:unauthenticated' ||
    groups.includes('system:unauthenticated')
  )
    return 'anonymous';
  if (user.startsWith('system:serviceaccount:')) return 'serviceaccount';
  if (user.startsWith('system:node:') || groups.includes('system:nodes')) return 'node';
  if (user.startsWith('system:') || user.startsWith('eks:') || user.startsWith('aks:')) return 'system';
  if (user === '') return 'unknown';
  return 'human';
}

/** Field names whose values are credentials: dropped from request objects wherever they appear. */
const SECRET_FIELDS = new Set(['data', 'stringData', 'token', 'password', 'client-key-data', 'bearerToken']);

/**
 * A request object without credential material: a Secret's `data`/`stringData`, a
 * TokenRequest's or TokenReview's `token`, and `password`-like fields at any depth.
 */
export function redactObject(kindHint: string, v: unknown, depth = 0): unknown {
  if (depth > 64 || typeof v !== 'object' || v === null) return v;
  // Copy on write: subtrees without credential fields are returned as they are.
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const r = redactObject(kindHint, x, depth + 1);
      if (r !== x && !out) out = v.slice(0, i) as unknown[];
      if (out) out.push(r);
    }
    return out ?? v;
  }
  const src = v as Json;
  let out: Json | undefined;
  const keys = Object.keys(src);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const x = src[k];
    const r =
      SECRET_FIELDS.has(k) && (kindHint === 'secrets' || k !== 'data')
        ? '[redacted]'
        : redactObject(kindHint, x, depth + 1);
    if (r !== x && !out) {
      out = {};
      for (let j = 0; j < i; j++) setField(out, keys[j] as string, src[keys[j] as string]);
    }
    if (out) setField(out, k, r);
  }
  return out ?? v;
}

/** Sets a field, a JSON `__proto__` key included (as data, never as the prototype). */
function setField(o: Json, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** The values of repeated `command=` query parameters of an exec/attach request URI. */
function execCommand(requestURI: string): string[] {
  const q = requestURI.indexOf('?');
  if (q < 0) return [];
  const out: string[] = [];
  for (const part of requestURI.slice(q + 1).split('&')) {
    if (!part.startsWith('command=')) continue;
    try {
      out.push(decodeURIComponent(part.slice(8).replaceAll('+', ' ')));
    } catch {
      out.push(part.slice(8));
    }
  }
  return out;
}

/** The request URI with its query removed when it could carry a credential (secrets, tokens). */
function safeRequestURI(uri: string, resource: string, subresource: string): string {
  if (resource === 'secrets' || subresource === 'token' || resource === 'tokenreviews') {
    const q = uri.indexOf('?');
    return q < 0 ? uri : uri.slice(0, q);
  }
  return uri;
}

/** Normalises one `audit.k8s.io` Event object. */
export function normalizeAuditEvent(e: Json, provider: EventProvider, fallbackId: string): DetectEvent {
  const ev = emptyEvent('audit', provider, str(e.auditID) || fallbackId);
  ev.time = str(e.stageTimestamp) || str(e.requestReceivedTimestamp) || str(e.timestamp);
  const user = view(e.user);
  const imp = view(e.impersonatedUser);
  const acting = isEmpty(imp) ? user : imp;
  ev.actor.user = str(acting.username);
  ev.actor.groups = strings(acting.groups);
  if (acting !== user) ev.actor.impersonator = str(user.username);
  fillActor(ev, strings(e.sourceIPs), str(e.userAgent));
  const ref = view(e.objectRef);
  ev.target.apiGroup = str(ref.apiGroup);
  ev.target.apiVersion = str(ref.apiVersion);
  ev.target.resource = str(ref.resource);
  ev.target.subresource = str(ref.subresource);
  ev.target.namespace = str(ref.namespace);
  ev.target.name = str(ref.name);
  ev.action.verb = str(e.verb);
  const status = view(e.responseStatus);
  ev.action.code = typeof status.code === 'number' ? status.code : 0;
  ev.action.stage = str(e.stage);
  ev.action.decision = str(view(e.annotations)['authorization.k8s.io/decision']);
  const uri = str(e.requestURI);
  ev.action.requestURI = safeRequestURI(uri, ev.target.resource, ev.target.subresource);
  const reqObj = view(e.requestObject);
  ev.object = reqObj === NOTHING ? {} : obj(redactObject(ev.target.resource, reqObj));
  fillPod(ev);
  fillExec(ev, strings(reqObj.command), uri, str(reqObj.container));
  return ev;
}

function fillActor(ev: DetectEvent, ips: string[], userAgent: string): void {
  ev.actor.kind = actorKind(ev.actor.user, ev.actor.groups);
  if (ev.actor.kind === 'serviceaccount') {
    const parts = ev.actor.user.split(':');
    ev.actor.serviceAccountNamespace = parts[2] ?? '';
    ev.actor.serviceAccountName = parts.slice(3).join(':');
  }
  ev.actor.sourceIPs = ips;
  ev.actor.publicSource = ips.some(isPublicIP);
  ev.actor.userAgent = userAgent;
}

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** Finds the pod spec of a Pod, a pod template, a workload or a CronJob in the request object. */
function fillPod(ev: DetectEvent): void {
  const o = ev.object;
  const spec = obj(o.spec);
  let pod: Json = {};
  if (ev.target.resource === 'pods' || o.kind === 'Pod') pod = spec;
  else if (o.kind === 'PodTemplate' || ev.target.resource === 'podtemplates') pod = obj(obj(o.template).spec);
  else if (typeof spec.jobTemplate === 'object')
    pod = obj(obj(obj(obj(spec.jobTemplate).spec).template).spec);
  else if (typeof spec.template === 'object') pod = obj(obj(spec.template).spec);
  ev.pod = pod;
  const all: Json[] = [];
  for (const key of CONTAINER_LISTS) {
    const list = pod[key];
    if (Array.isArray(list))
      for (const c of list) if (typeof c === 'object' && c !== null) all.push(c as Json);
  }
  ev.containers = all;
}

function fillExec(ev: DetectEvent, bodyCommand: string[], uri: string, container: string): void {
  if (ev.target.subresource !== 'exec' && ev.target.subresource !== 'attach') return;
  const command = bodyCommand.length > 0 ? bodyCommand : execCommand(uri);
  ev.process.binary = command[0] ?? '';
  ev.process.args = command.join(' ');
  ev.process.pod = ev.target.name;
  ev.process.namespace = ev.target.namespace;
  ev.process.container = container || containerParam(uri);
}

function containerParam(uri: string): string {
  const q = uri.indexOf('?');
  if (q < 0) return '';
  for (const part of uri.slice(q + 1).split('&')) if (part.startsWith('container=')) return part.slice(10);
  return '';
}

/** gRPC status codes of GKE audit entries to the HTTP status the API server answered. */
const GRPC_TO_HTTP: Record<number, number> = {
  0: 200,
  3: 400,
  5: 404,
  6: 409,
  7: 403,
  9: 400,
  10: 409,
  13: 500,
  14: 503,
  16: 401,
};

/** Normalises a GKE Cloud Logging entry for the Kubernetes API (`serviceName: k8s.io`). */
function normalizeGke(entry: Json, fallbackId: string): DetectEvent | undefined {
  const p = obj(entry.protoPayload);
  if (str(p.serviceName) !== 'k8s.io') return undefined;
  const ev = emptyEvent('audit', 'gke', str(entry.insertId) || fallbackId);
  ev.time = str(entry.timestamp) || str(entry.receiveTimestamp);
  const auth = obj(p.authenticationInfo);
  ev.actor.user = str(auth.principalEmail) || str(auth.authoritySelector) || str(auth.principalSubject);
  const meta = obj(p.requestMetadata);
  const ip = str(meta.callerIP);
  fillActor(ev, ip === '' ? [] : [ip], str(meta.callerSuppliedUserAgent));
  // methodName io.k8s.<group>.<version>.<resource>[.<subresource>].<verb>
  const method = str(p.methodName);
  if (method.startsWith('io.k8s.')) {
    const parts = method.slice(7).split('.');
    ev.action.verb = parts[parts.length - 1] ?? '';
    const group = parts[0] ?? '';
    // Group names contain dots (rbac.authorization.k8s.io): the version is the first vN part.
    let vi = parts.findIndex((x, i) => i > 0 && /^v\d/.test(x));
    if (vi < 0) vi = 1;
    ev.target.apiGroup = group === 'core' ? '' : [group, ...parts.slice(1, vi)].join('.');
    ev.target.apiVersion = parts[vi] ?? '';
    const rest = parts.slice(vi + 1, parts.length - 1);
    ev.target.resource = rest[0] ?? '';
    ev.target.subresource = rest[1] ?? '';
  }
  // resourceName <group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]
  const rn = str(p.resourceName).split('/');
  let i = 2;
  if (rn[i] === 'namespaces' && rn.length > i + 2) {
    ev.target.namespace = rn[i + 1] ?? '';
    i += 2;
  } else if (rn[i] === 'namespaces' && ev.target.resource === 'namespaces') {
    ev.target.name = rn[i + 1] ?? '';
  }
  if (rn[i] !== undefined && rn[i] === ev.target.resource && ev.target.name === '')
    ev.target.name = rn[i + 1] ?? '';
  const status = obj(p.status);
  const grpc = typeof status.code === 'number' ? status.code : 0;
  ev.action.code = GRPC_TO_HTTP[grpc] ?? 500;
  ev.action.stage = 'ResponseComplete';
  const req = obj(p.request);
  ev.object = obj(redactObject(ev.target.resource, req));
  fillPod(ev);
  fillExec(ev, strings(req.command), '', str(req.container));
  return ev;
}

/**
 * Normalises one record of any supported audit format. `undefined` means the record is valid
 * but not a Kubernetes API event (another cloud service's entry); an error says why a record
 * could not be read.
 */
export function normalizeAuditRecord(
  record: unknown,
  fallbackId: string,
): Result<DetectEvent | undefined, string> {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return { ok: false, error: 'not a JSON object' };
  const r = record as Json;
  // Items of an EventList (what the webhook backend receives) carry no kind or apiVersion.
  const eventShaped =
    typeof r.verb === 'string' &&
    typeof r.user === 'object' &&
    (typeof r.auditID === 'string' || typeof r.requestURI === 'string');
  if (r.kind === 'Event' || str(r.apiVersion).startsWith('audit.k8s.io/') || eventShaped) {
    const provider: EventProvider = str(r.p_log_type) === 'Amazon.EKS.Audit' ? 'eks' : 'kubernetes';
    return { ok: true, value: normalizeAuditEvent(r, provider, fallbackId) };
  }
  if (typeof r.protoPayload === 'object' && r.protoPayload !== null)
    return { ok: true, value: normalizeGke(r, fallbackId) };
  const props = obj(r.properties);
  if (str(r.category) === 'kube-audit' || str(r.category) === 'kube-audit-admin') {
    const log = props.log;
    if (typeof log !== 'string') return { ok: false, error: 'AKS record without properties.log' };
    let inner: unknown;
    try {
      inner = JSON.parse(log);
    } catch {
      return { ok: false, error: 'AKS record whose properties.log is not JSON' };
    }
    return { ok: true, value: normalizeAuditEvent(obj(inner), 'aks', fallbackId) };
  }
  // EKS exports to CloudWatch may arrive as {"message": "<event JSON>"} lines.
  if (typeof r.message === 'string' && r.message.startsWith('{')) {
    try {
      return normalizeAuditRecord(JSON.parse(r.message), fallbackId);
    } catch {
      return { ok: false, error: 'message field is not JSON' };
    }
  }
  // Another service's record in the same export (an Azure activity log entry, a cloud audit entry).
  if (typeof r.operationName === 'string' && typeof r.category === 'string')
    return { ok: true, value: undefined };
  if (r.kind === 'EventList') return { ok: false, error: 'an EventList: read its items' };
  return {
    ok: false,
    error: 'not a Kubernetes audit event (no kind: Event, protoPayload or AKS kube-audit record)',
  };
}
