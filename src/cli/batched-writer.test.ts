import { describe, expect, it } from 'vitest';
import { batchedWriter } from './batched-writer.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('batchedWriter', () => {
  it('writes the lines of one turn as one write, in order', async () => {
    const writes: string[] = [];
    const w = batchedWriter((t) => writes.push(t));
    w.write('a\n');
    w.write('b\n');
    w.write('c\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n']);
    w.write('d\n');
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it.each([
    [10, ['12345', '67890', 'x'], ['1234567890'], ['x']],
    [4, ['12345'], ['12345'], []],
    [100, ['1', '2'], [], ['12']],
  ])('bound %i: %j is written %j at once and %j at the end of the turn', async (max, lines, now, later) => {
    const writes: string[] = [];
    const w = batchedWriter((t) => writes.push(t), max);
    for (const l of lines) w.write(l);
    expect(writes).toEqual(now);
    await nextTurn();
    expect(writes).toEqual([...now, ...later]);
  });

  it('flush writes what is buffered at once, and nothing twice', async () => {
    const writes: string[] = [];
    const w = batchedWriter((t) => writes.push(t));
    w.write('last line\n');
    w.flush();
    expect(writes).toEqual(['last line\n']);
    await nextTurn();
    w.flush();
    expect(writes).toEqual(['last line\n']);
  });
});
