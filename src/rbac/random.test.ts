import { describe, expect, it } from 'vitest';
import { authorize } from './authorize.js';
import { modelOf } from './builders.js';
import { randomConfiguration, randomQuestions } from './random.js';

describe('random generators', () => {
  it('are deterministic for a seed', () => {
    expect(randomConfiguration(7, 'c7')).toEqual(randomConfiguration(7, 'c7'));
    const c = randomConfiguration(7, 'c7');
    expect(randomQuestions(c, 1, 50)).toEqual(randomQuestions(c, 1, 50));
    expect(randomConfiguration(8, 'c8')).not.toEqual(randomConfiguration(7, 'c8'));
  });

  it.each([1, 2, 3, 4, 5])('seed %i: objects are named with the prefix and questions hit grants', (seed) => {
    const c = randomConfiguration(seed, `c${seed}`);
    for (const o of c.objects) expect(o.metadata?.name?.startsWith(`c${seed}-`)).toBe(true);
    expect(c.objects.some((o) => o.kind === 'RoleBinding')).toBe(true);
  });

  it('over many configurations a fair share of questions is allowed and a fair share denied', () => {
    let allowed = 0;
    let total = 0;
    for (let seed = 0; seed < 100; seed++) {
      const c = randomConfiguration(seed, `c${seed}`);
      const model = modelOf(c.objects, { bootstrapRoles: false });
      for (const q of randomQuestions(c, seed + 1000, 50)) {
        total++;
        if (authorize(model, q.user, q.attrs).allowed) allowed++;
      }
    }
    expect(allowed / total).toBeGreaterThan(0.05);
    expect(allowed / total).toBeLessThan(0.8);
  });
});
