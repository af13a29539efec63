/**
 * The detector's pipeline alone (no `detect serve`), for profiling: `node --cpu-prof --import
 * tsx bench/_detect-pipeline.ts`, then bench/_cpu-profile-summary.ts on the profile. Prints CPU
 * time of the pipeline and of a bare JSON.parse of the same lines, measured in this process.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { AnomalyModel, builtinRules, createDetector, normalizeRecord } from '../src/detect/index.js';
import { feed, generate } from './detect.js';

const lines = generate();
const intel = feed();
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let floor = Infinity;
for (let r = 0; r < 3; r++) {
  const t = cpu();
  for (const l of lines) JSON.parse(l);
  floor = Math.min(floor, cpu() - t);
}
const training = new AnomalyModel();
for (let i = 0; i < lines.length / 2; i++) {
  const n = normalizeRecord(JSON.parse(lines[i] as string), `t${i}`);
  if (n.ok && n.value) training.learn(n.value);
}
const baseline = training.toFile();
// PROFILE=FILE: a CPU profile of the last timed round only (setup left out).
const session = process.env.PROFILE ? new Session() : undefined;
session?.connect();
await session?.post('Profiler.enable');
let best = Infinity;
for (let r = 0; r < Number(process.env.ROUNDS ?? 3); r++) {
  const anomaly = new AnomalyModel(structuredClone(baseline));
  const detector = createDetector({ rules: builtinRules(), intel, anomaly });
  if (session) await session.post('Profiler.start');
  const t = cpu();
  for (let i = 0; i < lines.length; i++) {
    const n = normalizeRecord(JSON.parse(lines[i] as string), `l${i}`);
    if (n.ok && n.value) detector.process(n.value);
  }
  best = Math.min(best, cpu() - t);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(process.env.PROFILE as string, JSON.stringify(profile));
  }
}
console.log(
  `parse ${floor.toFixed(0)} ms cpu; pipeline ${best.toFixed(0)} ms cpu; ${Math.round(lines.length / (best / 1000))} events/s; ratio ${(best / floor).toFixed(2)}`,
);
