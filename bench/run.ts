/**
 * Benchmark runner: `npm run bench -- NAME` runs bench/NAME.ts, whose `run()` prints its
 * figures and returns the final `bench NAME: key=value …` line.
 */
import { readdirSync } from 'node:fs';

const name = process.argv[2];
const available = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));

if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (one of: ${available.join(', ')})`);
  process.exit(2);
}

const mod = (await import(`./${name}.ts`)) as { run: () => Promise<string> };
const last = await mod.run();
console.log(last);
