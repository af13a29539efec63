import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { checkHeap, HEAP_STOP_SHARE, MemoryLimitError } from './memory.js';

const MIB = 2 ** 20;

describe('checkHeap', () => {
  it.each([
    [100, 4144, false],
    [Math.floor(4144 * HEAP_STOP_SHARE) - 64, 4144, false],
    [Math.ceil(4144 * HEAP_STOP_SHARE) - 63, 4144, true],
    [4000, 4144, true],
    [100, 208, false],
    [130, 208, true],
  ])('%i MiB used of %i MiB: stops=%s', (used, limit, stops) => {
    const check = (): void => {
      checkHeap('reading x.yaml', () => ({ used: used * MIB, limit: limit * MIB }));
    };
    if (stops) expect(check).toThrow(MemoryLimitError);
    else expect(check).not.toThrow();
  });

  it('is an input error (exit 2) that says what it was doing, how much is held and what to do', () => {
    let error: unknown;
    try {
      checkHeap('evaluating controls', () => ({ used: 3900 * MIB, limit: 4144 * MIB }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'out of memory while evaluating controls: the scan holds 3900 MiB of the 4144 MiB heap Node.js allows; ' +
        'scan fewer files at once, or allow more with NODE_OPTIONS=--max-old-space-size=9216 (MiB; see docs/scan.md#large-inputs)',
    );
  });

  it('reads the real heap by default', () => {
    expect(() => {
      checkHeap('testing');
    }).not.toThrow();
  });
});
