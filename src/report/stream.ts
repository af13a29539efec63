/**
 * Writing large JSON documents in pieces, byte-identical to `JSON.stringify(value, null, 2)`:
 * the objects on the way to a large array are written member by member, and the array's items
 * in batches, so no string ever holds the whole document (V8 strings stop at 512 MiB, and a
 * report can be many times its input).
 */

/** Receives the pieces of a report in order. */
export type ReportWriter = (text: string) => void;

/**
 * An array whose items are made only when written (SARIF results built from findings), so
 * that they never all exist at once. Written as `JSON.stringify` writes an array.
 */
export class LazyItems {
  constructor(
    readonly length: number,
    readonly at: (index: number) => unknown,
  ) {}
}

/** Items of a large array stringified at once: big enough for `JSON.stringify`'s speed. */
const BATCH = 2048;

function pad(depth: number): string {
  return '  '.repeat(depth);
}

/**
 * `JSON.stringify(value, null, 2)` of a value that sits `depth` levels deep in an indented
 * document (its inner lines indented accordingly); undefined for what JSON leaves out.
 */
function stringifyAt(value: unknown, depth: number): string | undefined {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  if (text === undefined || depth === 0 || !text.includes('\n')) return text;
  return text.replaceAll('\n', `\n${pad(depth)}`);
}

/**
 * The items of `batch` (non-empty) as they appear inside an array `depth` levels deep, joined
 * by `,\n`, without the brackets. The batch is wrapped in objects to that depth so that
 * `JSON.stringify` indents it itself: re-indenting a large text costs as much again.
 */
function itemsAt(batch: readonly unknown[], depth: number): string {
  let wrapped: unknown = batch;
  for (let d = 0; d < depth; d++) wrapped = { a: wrapped };
  const text = JSON.stringify(wrapped, null, 2);
  return text.slice(text.indexOf('[') + 2, text.lastIndexOf(']') - 1 - 2 * depth);
}

/**
 * Writes `JSON.stringify(root, null, 2)` in pieces. `expand` holds the large arrays and every
 * object and array on the way to them: those are written member by member (large arrays in
 * batches); everything else is stringified whole. `check` runs between batches (a heap check).
 */
export function writeJson(
  root: unknown,
  expand: ReadonlySet<unknown>,
  write: ReportWriter,
  check: () => void = () => undefined,
): void {
  const emit = (value: unknown, depth: number): void => {
    if (!expand.has(value) || value === null || typeof value !== 'object') {
      write(stringifyAt(value, depth) ?? 'null');
      return;
    }
    const inner = pad(depth + 1);
    if (value instanceof LazyItems) {
      if (value.length === 0) {
        write('[]');
        return;
      }
      write('[\n');
      for (let i = 0; i < value.length;) {
        if (i > 0) write(',\n');
        const batch: unknown[] = [];
        for (const end = Math.min(value.length, i + BATCH); i < end; i++) batch.push(value.at(i));
        write(itemsAt(batch, depth));
        check();
      }
      write(`\n${pad(depth)}]`);
      return;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) {
        write('[]');
        return;
      }
      write('[\n');
      const plain = !value.some((v) => expand.has(v));
      for (let i = 0; i < value.length;) {
        if (i > 0) write(',\n');
        if (plain) {
          const batch = value.slice(i, i + BATCH);
          // `JSON.stringify` writes undefined items of an array as null, as here.
          write(itemsAt(batch, depth));
          i += batch.length;
          check();
        } else {
          write(inner);
          emit(value[i], depth + 1);
          i++;
        }
      }
      write(`\n${pad(depth)}]`);
      return;
    }
    let first = true;
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      write(`${first ? '{\n' : ',\n'}${inner}${JSON.stringify(key)}: `);
      first = false;
      emit(v, depth + 1);
    }
    write(first ? '{}' : `\n${pad(depth)}}`);
  };
  emit(root, 0);
  write('\n');
}

/**
 * Collects pieces into strings of about `size` characters before passing them on, so that a
 * stream sees few large writes rather than many small ones.
 */
export function bufferedWriter(sink: ReportWriter, size = 1 << 20): { write: ReportWriter; flush(): void } {
  let parts: string[] = [];
  let length = 0;
  const flush = (): void => {
    if (length === 0) return;
    const text = parts.length === 1 ? (parts[0] ?? '') : parts.join('');
    parts = [];
    length = 0;
    sink(text);
  };
  return {
    write(text) {
      parts.push(text);
      length += text.length;
      if (length >= size) flush();
    },
    flush,
  };
}
