import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectSecret } from './patterns.js';

/** One labelled case of testdata/labelled-secrets.json (see testdata/README.md). */
interface LabelledCase {
  where: 'env' | 'configmap';
  key: string;
  value: string;
  credential: boolean;
  note: string;
}

const CASES = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'testdata/labelled-secrets.json'), 'utf8'),
) as LabelledCase[];

describe('detectSecret on the labelled set', () => {
  it('holds at least 100 credentials and 100 non-credentials', () => {
    expect(CASES.filter((c) => c.credential).length).toBeGreaterThanOrEqual(100);
    expect(CASES.filter((c) => !c.credential).length).toBeGreaterThanOrEqual(100);
  });

  it('reaches precision and recall of at least 0.95', () => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    const wrong: string[] = [];
    for (const c of CASES) {
      const found = detectSecret(c.key, c.value) !== undefined;
      if (found && c.credential) tp++;
      else if (found) {
        fp++;
        wrong.push(`false positive: ${c.key} (${c.note})`);
      } else if (c.credential) {
        fn++;
        wrong.push(`missed: ${c.key} (${c.note})`);
      }
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    // The measurement is the point of this test: print it on every run.
    console.log(
      `secrets labelled set: ${CASES.length} cases, precision ${precision.toFixed(3)} (${tp}/${tp + fp}), recall ${recall.toFixed(3)} (${tp}/${tp + fn})${wrong.length > 0 ? `\n  ${wrong.join('\n  ')}` : ''}`,
    );
    expect(precision).toBeGreaterThanOrEqual(0.95);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });
});
