import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const MAIN = path.resolve(import.meta.dirname, '../main.ts');

/** A pod that breaks many workload controls: each one yields a dozen findings. */
function weakPod(i: number): string {
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-${i}\n  namespace: ns-${i % 100}\nspec:\n  containers:\n    - name: web\n      image: nginx:1.25\n---\n`;
}

describe('scan near the heap limit', () => {
  it('stops with exit 2 and a message, never a V8 abort, when findings outgrow the heap', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'palisade-memory-'));
    try {
      const input = path.join(dir, 'pods.yaml');
      const fd = openSync(input, 'w');
      let text = '';
      for (let i = 0; i < 60_000; i++) {
        text += weakPod(i);
        if (text.length > 1 << 20) {
          writeSync(fd, text);
          text = '';
        }
      }
      writeSync(fd, text);
      closeSync(fd);
      const runner = path.join(dir, 'run.mts');
      writeFileSync(
        runner,
        `import { main } from ${JSON.stringify(MAIN)};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
      );
      const child = spawnSync(
        process.execPath,
        ['--max-old-space-size=160', '--import', 'tsx', runner, 'scan', input, '-o', 'json', '-q'],
        {
          cwd: path.resolve(import.meta.dirname, '../../..'),
          encoding: 'utf8',
          maxBuffer: 1 << 30,
          timeout: 120_000,
        },
      );
      expect(child.stderr).toMatch(
        /^palisade: out of memory while [a-z ]+: the scan holds \d+ MiB of the \d+ MiB heap/m,
      );
      expect(child.stderr).not.toMatch(/FATAL|heap out of memory|at .*\.ts:\d+/);
      expect(child.status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
