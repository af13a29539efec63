/**
 * Observed connections read from flow exports: Cilium Hubble JSON (`hubble observe -o json`,
 * one flow per line, bare or under `flow`), Calico flow logs (JSON lines with `source_*`,
 * `dest_*`, `proto`, `dest_port`), and a simple CSV or JSON format with `src,dst,port,protocol`
 * (`time` optional) where src/dst are `namespace/name` or IP addresses. Pure: text in, flows
 * and per-line problems out.
 */
import { isProtocol, type Protocol } from './conn-set.js';

/** One side of a flow, as much as the export tells. */
export interface FlowEndpoint {
  ip?: string;
  namespace?: string;
  /** Pod name (Hubble, Calico with a name) or workload/pod name (simple format). */
  name?: string;
  /** A Calico aggregated name prefix such as `web-5d8f7c9b6d-` (from `web-5d8f7c9b6d-*`). */
  namePrefix?: string;
  /** Workload reported by the exporter (Hubble `workloads`). */
  workload?: { name: string; kind?: string };
  /** Pod labels reported by the exporter (Hubble `k8s:` labels, Calico `*_labels`). */
  labels?: Record<string, string>;
}

/** One observed connection attempt. */
export interface Flow {
  src: FlowEndpoint;
  dst: FlowEndpoint;
  protocol: Protocol;
  port: number;
  /** ISO time, when the export has one. */
  time?: string;
  /** Where the flow was read from, for messages. */
  origin: string;
}

/** A line that could not be read. */
export interface FlowIssue {
  origin: string;
  message: string;
}

/** Flow export formats. */
export type FlowFormat = 'hubble' | 'calico' | 'csv' | 'json';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== '-' ? v : undefined;
}

const PROTO_NUMBERS: Record<string, Protocol> = { '6': 'TCP', '17': 'UDP', '132': 'SCTP' };

function protocolOf(v: unknown): Protocol | undefined {
  const raw = v ?? 'TCP';
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const s = String(raw).toUpperCase();
  if (isProtocol(s)) return s;
  return PROTO_NUMBERS[s];
}

function portOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** Guesses the format of an export from its first non-empty line. */
export function detectFlowFormat(text: string): FlowFormat {
  const first =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  if (first.startsWith('{')) {
    if (/"(flow|IP|l4|traffic_direction)"/.test(first)) return 'hubble';
    if (/"(source_namespace|dest_namespace|dest_port|source_name_aggr)"/.test(first)) return 'calico';
    return 'json';
  }
  if (first.startsWith('[')) return 'json';
  return 'csv';
}

/** Parses a flow export; `format` defaults to detection. */
export function parseFlows(
  text: string,
  file: string,
  format?: FlowFormat,
): { flows: Flow[]; issues: FlowIssue[] } {
  const f = format ?? detectFlowFormat(text);
  switch (f) {
    case 'hubble':
      return jsonLines(text, file, hubbleFlow);
    case 'calico':
      return jsonLines(text, file, calicoFlow);
    case 'json':
      return simpleJson(text, file);
    case 'csv':
      return simpleCsv(text, file);
  }
}

type LineParser = (v: unknown, origin: string) => Flow | string | undefined;

function jsonLines(text: string, file: string, parse: LineParser): { flows: Flow[]; issues: FlowIssue[] } {
  const flows: Flow[] = [];
  const issues: FlowIssue[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const origin = `${file}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      issues.push({ origin, message: 'not a JSON object' });
      return;
    }
    const r = parse(v, origin);
    if (typeof r === 'string') issues.push({ origin, message: r });
    else if (r) flows.push(r);
  });
  return { flows, issues };
}

function hubbleEndpoint(ep: unknown, ip: unknown): FlowEndpoint {
  const out: FlowEndpoint = {};
  const a = str(ip);
  if (a) out.ip = a;
  if (!isRecord(ep)) return out;
  const ns = str(ep.namespace);
  const pod = str(ep.pod_name);
  if (ns) out.namespace = ns;
  if (pod) out.name = pod;
  const w: unknown = Array.isArray(ep.workloads) ? (ep.workloads as unknown[])[0] : undefined;
  if (isRecord(w) && str(w.name))
    out.workload = { name: str(w.name) ?? '', ...(str(w.kind) ? { kind: str(w.kind) ?? '' } : {}) };
  const labels = labelsOf(ep.labels, 'k8s:');
  if (labels) out.labels = labels;
  return out;
}

/**
 * Pod labels from a list of `key=value` strings (Hubble prefixes Kubernetes labels with
 * `k8s:`; Cilium's own and the namespace's are left out). At most 64 labels are kept.
 */
function labelsOf(v: unknown, prefix: string): Record<string, string> | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  let n = 0;
  for (const item of v as unknown[]) {
    if (typeof item !== 'string' || !item.startsWith(prefix) || n >= 64) continue;
    const kv = item.slice(prefix.length);
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (key === '' || key.startsWith('io.kubernetes.pod.namespace') || key.startsWith('io.cilium.')) continue;
    if (key === 'io.kubernetes.pod.name' || key.startsWith('io.cilium.k8s.')) continue;
    out[key] = eq < 0 ? '' : kv.slice(eq + 1);
    n++;
  }
  return n > 0 ? out : undefined;
}

/** Reads one Hubble flow; replies and non-L4 flows are not connection attempts and are skipped. */
function hubbleFlow(v: unknown, origin: string): Flow | string | undefined {
  const flow = isRecord(v) && isRecord(v.flow) ? v.flow : v;
  if (!isRecord(flow)) return 'not a Hubble flow';
  if (flow.is_reply === true) return undefined;
  const l4 = flow.l4;
  if (!isRecord(l4)) return undefined;
  let protocol: Protocol | undefined;
  let port: number | undefined;
  for (const p of ['TCP', 'UDP', 'SCTP'] as const) {
    const x = l4[p];
    if (isRecord(x)) {
      protocol = p;
      port = portOf(x.destination_port);
      if (p === 'TCP' && isRecord(x.flags) && x.flags.ACK === true && x.flags.SYN !== true) return undefined;
    }
  }
  if (!protocol) return undefined;
  if (port === undefined) return 'flow without a destination port';
  const ipRec = isRecord(flow.IP) ? flow.IP : {};
  const time = str(flow.time);
  return {
    src: hubbleEndpoint(flow.source, ipRec.source),
    dst: hubbleEndpoint(flow.destination, ipRec.destination),
    protocol,
    port,
    ...(time ? { time } : {}),
    origin,
  };
}

/**
 * Reads one record of a Hubble or Calico export (as a streaming reader meets them): the flow,
 * undefined for a record that is no connection attempt (a reply, a non-L4 flow, the
 * destination's report of a Calico flow), or why it cannot be read.
 */
export function parseFlowRecord(record: unknown, origin: string): Flow | string | undefined {
  if (!isRecord(record)) return 'not a JSON object';
  if (isRecord(record.flow) || (isRecord(record.IP) && typeof record.verdict === 'string'))
    return hubbleFlow(record, origin);
  if ('dest_port' in record) return calicoFlow(record, origin);
  return 'neither a Hubble flow nor a Calico flow log record';
}

function calicoEndpoint(r: Record<string, unknown>, side: 'source' | 'dest'): FlowEndpoint {
  const out: FlowEndpoint = {};
  const ip = str(r[`${side}_ip`]);
  const ns = str(r[`${side}_namespace`]);
  const name = str(r[`${side}_name`]);
  const aggr = str(r[`${side}_name_aggr`]);
  if (ip) out.ip = ip;
  if (ns) out.namespace = ns;
  if (name) out.name = name;
  else if (aggr) {
    if (aggr.endsWith('*')) out.namePrefix = aggr.slice(0, -1);
    else out.name = aggr;
  }
  const rawLabels = r[`${side}_labels`];
  const labels = labelsOf(isRecord(rawLabels) ? rawLabels.labels : rawLabels, '');
  if (labels) out.labels = labels;
  return out;
}

/** Reads one Calico flow log record; only the source-reported side is used to avoid doubles. */
function calicoFlow(v: unknown, origin: string): Flow | string | undefined {
  if (!isRecord(v)) return 'not a Calico flow log record';
  if (str(v.reporter) === 'dst' && v.source_type !== 'net' && v.source_type !== 'ns') return undefined;
  const protocol = protocolOf(v.proto);
  if (!protocol) return undefined;
  const port = portOf(v.dest_port);
  if (port === undefined) return 'record without dest_port';
  const time =
    typeof v.start_time === 'number' ? new Date(v.start_time * 1000).toISOString() : str(v.start_time);
  return {
    src: calicoEndpoint(v, 'source'),
    dst: calicoEndpoint(v, 'dest'),
    protocol,
    port,
    ...(time ? { time } : {}),
    origin,
  };
}

function simpleEndpoint(s: string): FlowEndpoint {
  const t = s.trim();
  const slash = t.indexOf('/');
  if (slash > 0 && !/^[0-9a-fA-F:.]+\/\d+$/.test(t))
    return { namespace: t.slice(0, slash), name: t.slice(slash + 1) };
  if (/^[0-9.]+$/.test(t) || t.includes(':')) return { ip: t };
  return { namespace: 'default', name: t };
}

function simpleFlow(r: Record<string, unknown>, origin: string): Flow | string {
  const src = str(r.src);
  const dst = str(r.dst);
  if (!src || !dst) return 'src and dst are required';
  const protocol = protocolOf(r.protocol ?? 'TCP');
  if (!protocol) return `unknown protocol ${JSON.stringify(r.protocol)}`;
  const port = portOf(r.port);
  if (port === undefined) return `invalid port ${JSON.stringify(r.port)}`;
  const time = str(r.time);
  return {
    src: simpleEndpoint(src),
    dst: simpleEndpoint(dst),
    protocol,
    port,
    ...(time ? { time } : {}),
    origin,
  };
}

function simpleJson(text: string, file: string): { flows: Flow[]; issues: FlowIssue[] } {
  const t = text.trim();
  if (t.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(t);
    } catch (e) {
      return { flows: [], issues: [{ origin: file, message: `invalid JSON: ${(e as Error).message}` }] };
    }
    const flows: Flow[] = [];
    const issues: FlowIssue[] = [];
    (Array.isArray(arr) ? arr : []).forEach((item, i) => {
      const origin = `${file}[${i}]`;
      const r = isRecord(item) ? simpleFlow(item, origin) : 'not an object';
      if (typeof r === 'string') issues.push({ origin, message: r });
      else flows.push(r);
    });
    return { flows, issues };
  }
  return jsonLines(text, file, (v, origin) => (isRecord(v) ? simpleFlow(v, origin) : 'not an object'));
}

function simpleCsv(text: string, file: string): { flows: Flow[]; issues: FlowIssue[] } {
  const flows: Flow[] = [];
  const issues: FlowIssue[] = [];
  const lines = text.split('\n');
  let header = ['src', 'dst', 'port', 'protocol', 'time'];
  lines.forEach((line, i) => {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) return;
    const cells = l.split(',').map((c) => c.trim());
    if (i === 0 && cells.includes('src') && cells.includes('dst')) {
      header = cells;
      return;
    }
    const rec: Record<string, unknown> = {};
    header.forEach((h, j) => (rec[h] = cells[j]));
    const origin = `${file}:${i + 1}`;
    const r = simpleFlow(rec, origin);
    if (typeof r === 'string') issues.push({ origin, message: r });
    else flows.push(r);
  });
  return { flows, issues };
}

/**
 * True when a file's beginning reads as a flow export rather than Kubernetes manifests
 * (which name an `apiVersion`): lets `netpol flows FLOWS… [MANIFESTS…]` tell its inputs apart.
 */
export function looksLikeFlows(head: string): boolean {
  const first =
    head
      .split('\n')
      .find((l) => l.trim() !== '' && !l.trim().startsWith('#'))
      ?.trim() ?? '';
  if (first === '' || first === '---' || /^(apiVersion|kind|metadata)\s*:/.test(first)) return false;
  if (first.startsWith('{') || first.startsWith('[')) return !/"apiVersion"\s*:/.test(head.slice(0, 4096));
  return first.includes(',');
}
