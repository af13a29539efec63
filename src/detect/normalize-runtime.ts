/**
 * Network flows and container runtime events to the one event shape: Cilium Hubble flows,
 * Calico flow logs, Falco JSON alerts and Tetragon JSON events (process exec, kprobe connect
 * and file access). Pure; `normalizeRecord` recognises every supported format by its shape.
 */
import type { Result } from '../core/index.js';
import { emptyEvent, type DetectEvent } from './event.js';
import { isPublicIP, normalizeAuditRecord } from './normalize-audit.js';

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}
function num(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
}

function workload(ns: string, name: string): string {
  if (name === '') return '';
  return ns === '' ? name : `${ns}/${name}`;
}

/** The image digest in a reference (`…@sha256:…`), or ''. */
function digestOf(image: string): string {
  const at = image.indexOf('@');
  return at < 0 ? '' : image.slice(at + 1);
}

/** The workload name of a Hubble endpoint (its first workload's, else the pod's). */
function wname(e: Json): string {
  const w = Array.isArray(e.workloads) ? obj(e.workloads[0]) : undefined;
  return (w ? str(w.name) : '') || str(e.pod_name);
}

function hubble(f: Json, id: string): DetectEvent {
  const ev = emptyEvent('flow', 'hubble', id);
  ev.time = str(f.time);
  ev.action.verb = 'connect';
  const ip = obj(f.IP);
  ev.network.srcIP = str(ip.source);
  ev.network.dstIP = str(ip.destination);
  const l4 = obj(f.l4);
  const proto = Object.keys(l4)[0] ?? '';
  const ports = obj(l4[proto]);
  ev.network.protocol = proto.toUpperCase();
  ev.network.srcPort = num(ports.source_port);
  ev.network.dstPort = num(ports.destination_port);
  const verdict = str(f.verdict).toLowerCase();
  ev.network.verdict =
    verdict === 'forwarded' ? 'allowed' : verdict === 'dropped' || verdict === 'error' ? 'dropped' : verdict;
  const src = obj(f.source);
  const dst = obj(f.destination);
  ev.network.srcWorkload = workload(str(src.namespace), wname(src));
  ev.network.dstWorkload = workload(str(dst.namespace), wname(dst));
  const names = Array.isArray(f.destination_names) ? f.destination_names : [];
  const domain = str(names[0]);
  ev.network.domain = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  ev.actor.kind = 'workload';
  ev.actor.user = ev.network.srcWorkload;
  ev.actor.sourceIPs = ev.network.srcIP === '' ? [] : [ev.network.srcIP];
  ev.actor.publicSource = isPublicIP(ev.network.srcIP);
  return ev;
}

function calico(r: Json, id: string): DetectEvent {
  const ev = emptyEvent('flow', 'calico', id);
  const start = r.start_time;
  ev.time = typeof start === 'number' ? new Date(start * 1000).toISOString() : str(start);
  ev.action.verb = 'connect';
  ev.network.srcIP = str(r.source_ip) === '-' ? '' : str(r.source_ip);
  ev.network.dstIP = str(r.dest_ip) === '-' ? '' : str(r.dest_ip);
  ev.network.dstPort = num(r.dest_port);
  ev.network.srcPort = num(r.source_port);
  ev.network.protocol = str(r.proto).toUpperCase();
  const action = str(r.action).toLowerCase();
  ev.network.verdict = action === 'allow' ? 'allowed' : action === 'deny' ? 'denied' : action;
  const name = (n: unknown): string => (str(n) === '-' ? '' : str(n).replace(/-\*$/, ''));
  ev.network.srcWorkload = workload(
    str(r.source_namespace) === '-' ? '' : str(r.source_namespace),
    name(r.source_name_aggr ?? r.source_name),
  );
  ev.network.dstWorkload = workload(
    str(r.dest_namespace) === '-' ? '' : str(r.dest_namespace),
    name(r.dest_name_aggr ?? r.dest_name),
  );
  const domains = r.dest_domains;
  ev.network.domain = Array.isArray(domains) ? str(domains[0]) : (str(domains).split(',')[0] ?? '');
  ev.actor.kind = 'workload';
  ev.actor.user = ev.network.srcWorkload;
  return ev;
}

const EXEC_EVENTS = new Set(['execve', 'execveat']);
const CONNECT_EVENTS = new Set(['connect']);
const OPEN_EVENTS = new Set(['open', 'openat', 'openat2', 'creat']);

function falco(r: Json, id: string): DetectEvent {
  const ev = emptyEvent('runtime', 'falco', str(r.uuid) || id);
  ev.time = str(r.time);
  const f = obj(r.output_fields);
  const type = str(f['evt.type']);
  const fd = str(f['fd.name']);
  ev.action.verb = EXEC_EVENTS.has(type)
    ? 'exec'
    : CONNECT_EVENTS.has(type)
      ? 'connect'
      : OPEN_EVENTS.has(type)
        ? 'open'
        : type === '' && fd === '' && str(f['proc.cmdline']) !== ''
          ? 'exec'
          : type;
  ev.process.binary = str(f['proc.exepath']) || str(f['proc.exe']) || str(f['proc.name']);
  ev.process.args = str(f['proc.cmdline']);
  ev.process.parentBinary = str(f['proc.pexepath']) || str(f['proc.pname']);
  ev.process.file = ev.action.verb === 'open' ? fd : '';
  ev.process.namespace = str(f['k8s.ns.name']);
  ev.process.pod = str(f['k8s.pod.name']);
  ev.process.container = str(f['container.name']);
  const repo = str(f['container.image.repository']);
  const tag = str(f['container.image.tag']);
  ev.process.image = repo === '' ? '' : tag === '' ? repo : `${repo}:${tag}`;
  ev.process.imageDigest = str(f['container.image.digest']);
  if (ev.action.verb === 'connect') {
    ev.network.dstIP = str(f['fd.sip']) || str(f['fd.rip']);
    ev.network.dstPort = num(f['fd.sport'] ?? f['fd.rport']);
    ev.network.srcIP = str(f['fd.cip']) || str(f['fd.lip']);
    ev.network.protocol = str(f['fd.l4proto']).toUpperCase();
    ev.network.domain = str(f['fd.sip.name']);
    ev.network.srcWorkload = workload(ev.process.namespace, ev.process.pod);
  }
  ev.actor.kind = 'workload';
  ev.actor.user = workload(ev.process.namespace, ev.process.pod);
  return ev;
}

function tetragonProcess(ev: DetectEvent, p: Json, parent: Json): void {
  ev.process.binary = str(p.binary);
  const args = str(p.arguments);
  ev.process.args = args === '' ? ev.process.binary : `${ev.process.binary} ${args}`;
  ev.process.parentBinary = str(parent.binary);
  const pod = obj(p.pod);
  ev.process.namespace = str(pod.namespace);
  ev.process.pod = str(pod.name);
  const c = obj(pod.container);
  ev.process.container = str(c.name);
  const image = obj(c.image);
  ev.process.image = str(image.name);
  ev.process.imageDigest = digestOf(str(image.id));
  ev.actor.kind = 'workload';
  ev.actor.user = workload(ev.process.namespace, ev.process.pod);
}

function tetragon(r: Json, id: string): DetectEvent {
  const ev = emptyEvent('runtime', 'tetragon', id);
  ev.time = str(r.time);
  if (typeof r.process_exec === 'object') {
    const e = obj(r.process_exec);
    ev.action.verb = 'exec';
    tetragonProcess(ev, obj(e.process), obj(e.parent));
    return ev;
  }
  const k = obj(r.process_kprobe);
  tetragonProcess(ev, obj(k.process), obj(k.parent));
  const fn = str(k.function_name);
  const args = Array.isArray(k.args) ? k.args.map(obj) : [];
  const sock = args.map((a) => obj(a.sock_arg)).find((s) => Object.keys(s).length > 0);
  const file = args.map((a) => obj(a.file_arg)).find((s) => Object.keys(s).length > 0);
  if (sock || fn.includes('connect')) {
    const s = sock ?? {};
    ev.action.verb = 'connect';
    ev.network.srcIP = str(s.saddr);
    ev.network.dstIP = str(s.daddr);
    ev.network.srcPort = num(s.sport);
    ev.network.dstPort = num(s.dport);
    ev.network.protocol = str(s.protocol).replace('IPPROTO_', '');
    ev.network.srcWorkload = workload(ev.process.namespace, ev.process.pod);
  } else if (file) {
    ev.action.verb = 'open';
    ev.process.file = str(file.path);
  } else ev.action.verb = fn;
  return ev;
}

/**
 * Normalises one record of any supported input: audit events (plain, EKS, AKS, GKE), Hubble
 * and Calico flows, Falco and Tetragon events. `undefined`: a valid record that is not about
 * Kubernetes (another cloud service's audit entry, a Tetragon process_exit).
 */
export function normalizeRecord(
  record: unknown,
  fallbackId: string,
): Result<DetectEvent | undefined, string> {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return { ok: false, error: 'not a JSON object' };
  const r = record as Json;
  if (typeof r.flow === 'object' && r.flow !== null)
    return { ok: true, value: hubble(obj(r.flow), fallbackId) };
  if (typeof r.IP === 'object' && typeof r.verdict === 'string')
    return { ok: true, value: hubble(r, fallbackId) };
  if ('dest_port' in r && ('source_namespace' in r || 'source_ip' in r))
    return { ok: true, value: calico(r, fallbackId) };
  if (typeof r.output_fields === 'object' && r.output_fields !== null)
    return { ok: true, value: falco(r, fallbackId) };
  if (typeof r.process_exec === 'object' || typeof r.process_kprobe === 'object')
    return { ok: true, value: tetragon(r, fallbackId) };
  if (typeof r.process_exit === 'object') return { ok: true, value: undefined };
  return normalizeAuditRecord(r, fallbackId);
}
