/**
 * A scan of one large manifest stream (default 1 GiB of valid, hardened Pods; set
 * SCAN_LARGE_MIB for a smaller one, e.g. SCAN_LARGE_MIB=100) to a JSON report, in a child
 * process whose peak RSS is measured, against a plain js-yaml parse of the same bytes in
 * another child (streamed a chunk of documents at a time, keeping nothing). Targets: the scan
 * completes, its peak RSS is at most 10× the input, and it takes at most 3× the parse.
 * SCAN_LARGE_HEAP_MIB sets the scan child's heap limit (default 10× the input, at least
 * 4096 MiB; 0 for Node's default).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MIB = 2 ** 20;
const NAMESPACES = 200;

/** A Pod as a team that gates on a scanner writes it; ~1 KiB. */
function pod(i: number): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: api-${i}
  namespace: team-${i % NAMESPACES}
  labels:
    app: api-${i % 50}
    tier: backend
spec:
  automountServiceAccountToken: false
  serviceAccountName: api
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: main
      image: registry.local/team/api@sha256:${(i % 16).toString(16).repeat(64)}
      imagePullPolicy: IfNotPresent
      ports:
        - {name: http, containerPort: 8080}
      resources:
        requests: {cpu: 100m, memory: 128Mi}
        limits: {cpu: 500m, memory: 256Mi}
      securityContext:
        privileged: false
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        capabilities: {drop: [ALL]}
      livenessProbe:
        httpGet: {path: /healthz, port: http}
      readinessProbe:
        httpGet: {path: /ready, port: http}
`;
}

/** Writes Pods separated by `---` until the file holds `bytes`; returns the number of Pods. */
function writeStream(file: string, bytes: number): number {
  const fd = openSync(file, 'w');
  let written = 0;
  let count = 0;
  let text = '';
  try {
    while (written + text.length < bytes) {
      text += `${count > 0 ? '---\n' : ''}${pod(count)}`;
      count++;
      if (text.length >= MIB) {
        writeSync(fd, text);
        written += text.length;
        text = '';
      }
    }
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return count;
}

interface ChildResult {
  seconds: number;
  peakRssMiB: number;
  code?: number;
  documents?: number;
  stderr: string;
}

function child(args: string[], flags: string[] = []): ChildResult {
  const script = path.join(import.meta.dirname, '_scan-large-child.ts');
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 16 * MIB,
  });
  if (r.status !== 0) throw new Error(`child ${args[0] ?? ''} exited ${r.status ?? r.signal}: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { ...(JSON.parse(line) as Omit<ChildResult, 'stderr'>), stderr: r.stderr };
}

/** The `summary` at the top of a JSON report, without reading the whole file. */
function summaryOf(file: string): { resources: number; findings: number; inputErrors: number } {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    const text = head.toString('utf8', 0, n);
    const num = (key: string): number => Number(new RegExp(`"${key}": (\\d+)`).exec(text)?.[1] ?? NaN);
    return { resources: num('resources'), findings: num('findings'), inputErrors: num('inputErrors') };
  } finally {
    closeSync(fd);
  }
}

export function run(): Promise<string> {
  const mib = Number(process.env['SCAN_LARGE_MIB'] ?? 1024);
  if (!(mib > 0)) throw new Error(`SCAN_LARGE_MIB must be a positive number of MiB (got ${mib})`);
  // V8's default heap limit (4 GiB here) holds a scan of about 1 GiB of these Pods only just:
  // the scan's child may use up to the target, 10× the input, unless SCAN_LARGE_HEAP_MIB says
  // otherwise (0: Node's default, to see the scan stop with exit 2 at the limit).
  const heapMiB = Number(process.env['SCAN_LARGE_HEAP_MIB'] ?? Math.max(4096, Math.ceil(mib * 10)));
  const heapFlags = heapMiB > 0 ? [`--max-old-space-size=${heapMiB}`] : [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-scan-large-'));
  try {
    const input = path.join(dir, 'pods.yaml');
    const output = path.join(dir, 'report.json');
    const t = performance.now();
    const pods = writeStream(input, mib * MIB);
    const inputMiB = statSync(input).size / MIB;
    console.log(
      `input: ${pods} Pods in one ${inputMiB.toFixed(0)} MiB file (written in ${((performance.now() - t) / 1000).toFixed(1)} s); node ${process.version}; scan child flags: ${heapFlags.join(' ') || 'none (defaults)'}`,
    );
    const idle = child(['idle']);
    const parse = child(['parse', input]);
    console.log(
      `js-yaml loadAll, streamed a chunk of documents at a time: ${parse.seconds.toFixed(1)} s, ${parse.documents ?? 0} documents, peak RSS ${parse.peakRssMiB.toFixed(0)} MiB`,
    );
    if (parse.documents !== pods) throw new Error(`the parse saw ${parse.documents} documents, not ${pods}`);
    const scan = child(['scan', input, output], heapFlags);
    if (scan.code !== 0) throw new Error(`the scan exited ${scan.code}: ${scan.stderr}`);
    const summary = summaryOf(output);
    const reportMiB = statSync(output).size / MIB;
    console.log(
      `palisade scan -o json: ${scan.seconds.toFixed(1)} s, exit ${scan.code}, ${summary.resources} resources, ${summary.findings} findings, ${summary.inputErrors} input errors, report ${reportMiB.toFixed(0)} MiB, peak RSS ${scan.peakRssMiB.toFixed(0)} MiB`,
    );
    if (summary.resources !== pods || summary.inputErrors !== 0)
      throw new Error(
        `the scan read ${summary.resources} resources with ${summary.inputErrors} input errors`,
      );
    const perMiB = (scan.peakRssMiB - idle.peakRssMiB) / inputMiB;
    const ratio = scan.seconds / parse.seconds;
    console.log(
      `peak RSS per input MiB: ${perMiB.toFixed(2)} above the ${idle.peakRssMiB.toFixed(0)} MiB of a child that only loads the scan's modules (target <= 10); ${(scan.peakRssMiB / inputMiB).toFixed(2)} with it`,
    );
    console.log(`time ratio scan/parse: ${ratio.toFixed(2)} (target <= 3)`);
    return Promise.resolve(
      `bench scan-large: input_mib=${inputMiB.toFixed(0)} peak_rss_mib=${scan.peakRssMiB.toFixed(0)} ratio_to_parse=${ratio.toFixed(2)} rss_per_input_mib=${perMiB.toFixed(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
