/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from `BENCH_CPU_PROF=DIR npm run bench
 * -- admission`): self time by package or source folder and by function, and for a function
 * name given as the second argument, the call paths that spend it.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const [file, focus] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: _cpu-profile-summary.ts PROFILE.cpuprofile [FUNCTION]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

const where = (url: string): string => {
  const local = url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, '$1/');
  const parts = local.split('/');
  if (parts[0] === 'node_modules') return parts.slice(0, parts[1]?.startsWith('@') ? 3 : 2).join('/');
  if (parts[0] === 'src' || parts[0] === 'bench') return parts.slice(0, 2).join('/');
  return local === '' ? '(native)' : local;
};
const byPlace = new Map<string, number>();
const byFunction = new Map<string, number>();
const paths = new Map<string, number>();
for (const [id, t] of self) {
  const node = byId.get(id);
  if (!node) continue;
  const f = node.callFrame;
  const place = f.url === '' ? `(${f.functionName || 'native'})` : where(f.url);
  byPlace.set(place, (byPlace.get(place) ?? 0) + t);
  const fn = `${f.functionName || '(anonymous)'} ${where(f.url)}:${f.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + t);
  if (focus !== undefined && f.functionName === focus) {
    const chain: string[] = [];
    for (let p = parent.get(id); p !== undefined && chain.length < 6; p = parent.get(p)) {
      const c = byId.get(p)?.callFrame;
      if (c) chain.push(`${c.functionName || '(anonymous)'} ${where(c.url)}:${c.lineNumber + 1}`);
    }
    const key = chain.join(' < ');
    paths.set(key, (paths.get(key) ?? 0) + t);
  }
}
const top = (m: Map<string, number>, n: number): void => {
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`${(total / 1000).toFixed(0)} ms sampled`);
console.log('by package or folder:');
top(byPlace, 20);
console.log('by function:');
top(byFunction, 30);
if (focus !== undefined) {
  console.log(`call paths of ${focus}:`);
  top(paths, 8);
}
