/**
 * One `netpol matrix` of the wide shape in its own process, so peak RSS is the matrix's
 * own: load (inventory, pod index, policy compilation), then the text matrix written to a
 * sink that only counts bytes. Prints one JSON line of figures.
 *
 * Usage: node --import tsx bench/_netpol-wide-child.ts NAMESPACES [adversarial]
 */
import { Inventory, refOf } from '../src/core/index.js';
import { Analysis, buildModel, compilePolicies, connLines, writeConnList } from '../src/network/index.js';
import { adversarialCluster, wideCluster } from './_netpol-wide.js';

const n = Number(process.argv[2] ?? 5000);
const objects = process.argv[3] === 'adversarial' ? adversarialCluster(n) : wideCluster(n);
const c0 = process.cpuUsage();
const t0 = performance.now();
const inv = new Inventory();
for (const o of objects) inv.add({ object: o, ref: refOf(o) });
const model = buildModel(inv);
const { policies, issues } = compilePolicies(inv.resources);
if (issues.length > 0) throw new Error(`bench policies invalid: ${issues[0]?.message ?? ''}`);
const t1 = performance.now();
const analysis = new Analysis(model, policies, { granularity: 'workload' });
let bytes = 0;
const lines = writeConnList('text', connLines(analysis), (chunk) => {
  bytes += chunk.length;
});
const t2 = performance.now();
const cpu = process.cpuUsage(c0);
console.log(
  JSON.stringify({
    loadS: (t1 - t0) / 1000,
    matrixS: (t2 - t1) / 1000,
    cpuS: (cpu.user + cpu.system) / 1e6,
    pods: model.pods.length,
    policies: policies.length,
    classes: analysis.classCount,
    lines,
    bytes,
    peakRssMib: process.resourceUsage().maxRSS / 1024,
  }),
);
