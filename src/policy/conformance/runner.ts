/**
 * Runs the cel-spec "simple" conformance files against a CEL engine adapter and counts
 * passes per file. Values are compared through a canonical text form so engines with
 * different JS representations are judged alike. Test-only code: it reads no files itself.
 */
import {
  first,
  firstMessage,
  isMessage,
  parseTextProto,
  rawBytes,
  utf8,
  type TextMessage,
  type TextValue,
} from './textproto.js';

/** A CEL value from a conformance file, in a tagged engine-neutral form. */
export type ConfValue =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'int' | 'uint'; v: bigint }
  | { t: 'double'; v: number }
  | { t: 'string'; v: string }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'list'; v: ConfValue[] }
  | { t: 'map'; v: [ConfValue, ConfValue][] }
  | { t: 'type'; v: string }
  | { t: 'timestamp'; v: string }
  | { t: 'duration'; v: bigint }
  | { t: 'unsupported'; v: string };

/** What an engine must do for the runner. */
export interface ConformanceAdapter {
  name: string;
  /** Evaluates `expr` with bindings; returns the canonical text of the value, or an error. */
  run(
    expr: string,
    bindings: Readonly<Record<string, ConfValue>>,
    test: { container: string; disableMacros: boolean },
  ): { ok: true; canonical: string } | { ok: false; error: string };
}

/** Pass counts of one conformance file. */
export interface FileScore {
  file: string;
  passed: number;
  total: number;
  /** The same counts over tests that need no protobuf message types (what Kubernetes uses). */
  passedNoProto: number;
  totalNoProto: number;
  failures: { name: string; reason: string }[];
}

function toBigInt(v: TextValue | undefined): bigint {
  return typeof v === 'bigint' ? v : BigInt(typeof v === 'number' ? v : 0);
}

/** Converts a cel.expr.Value message into a ConfValue. */
export function confValueOf(m: TextMessage): ConfValue {
  if ('null_value' in m) return { t: 'null' };
  if ('bool_value' in m) return { t: 'bool', v: first(m, 'bool_value') === true };
  if ('int64_value' in m) return { t: 'int', v: toBigInt(first(m, 'int64_value')) };
  if ('uint64_value' in m) return { t: 'uint', v: toBigInt(first(m, 'uint64_value')) };
  if ('double_value' in m) return { t: 'double', v: Number(first(m, 'double_value')) };
  if ('string_value' in m) return { t: 'string', v: utf8(first(m, 'string_value')) };
  if ('bytes_value' in m) return { t: 'bytes', v: rawBytes(first(m, 'bytes_value')) };
  if ('type_value' in m) return { t: 'type', v: utf8(first(m, 'type_value')) };
  if ('enum_value' in m) {
    const e = firstMessage(m, 'enum_value') ?? {};
    return { t: 'int', v: toBigInt(first(e, 'value')) };
  }
  if ('list_value' in m) {
    const l = firstMessage(m, 'list_value') ?? {};
    return { t: 'list', v: (l.values ?? []).filter(isMessage).map(confValueOf) };
  }
  if ('map_value' in m) {
    const mv = firstMessage(m, 'map_value') ?? {};
    return {
      t: 'map',
      v: (mv.entries ?? [])
        .filter(isMessage)
        .map((e) => [confValueOf(firstMessage(e, 'key') ?? {}), confValueOf(firstMessage(e, 'value') ?? {})]),
    };
  }
  if ('object_value' in m) {
    const any = firstMessage(m, 'object_value') ?? {};
    const [typeUrl] = Object.keys(any);
    const body = typeUrl ? firstMessage(any, typeUrl) : undefined;
    if (typeUrl?.endsWith('google.protobuf.Duration]') && body) {
      return {
        t: 'duration',
        v: toBigInt(first(body, 'seconds')) * 1_000_000_000n + toBigInt(first(body, 'nanos')),
      };
    }
    if (typeUrl?.endsWith('google.protobuf.Timestamp]') && body) {
      const secs = toBigInt(first(body, 'seconds'));
      const nanos = toBigInt(first(body, 'nanos'));
      return { t: 'timestamp', v: timestampText(secs, nanos) };
    }
    return { t: 'unsupported', v: `message ${typeUrl ?? '?'}` };
  }
  return { t: 'unsupported', v: 'empty value' };
}

/** Canonical text of a timestamp at nanosecond precision. */
export function timestampText(seconds: bigint, nanos: bigint): string {
  const d = new Date(Number(seconds) * 1000);
  return `${d.toISOString().slice(0, 19)}.${nanos.toString().padStart(9, '0')}Z`;
}

/** The canonical text two equal values share. */
export function canonical(v: ConfValue): string {
  switch (v.t) {
    case 'null':
      return 'null';
    case 'bool':
    case 'int':
    case 'uint':
      return `${v.t}(${String(v.v)})`;
    case 'double':
      return `double(${Number.isNaN(v.v) ? 'NaN' : String(v.v)})`;
    case 'string':
      return `string(${JSON.stringify(v.v)})`;
    case 'bytes':
      return `bytes(${Buffer.from(v.v).toString('hex')})`;
    case 'list':
      return `[${v.v.map(canonical).join(',')}]`;
    case 'map':
      return `{${v.v
        .map(([k, x]) => `${canonical(k)}:${canonical(x)}`)
        .sort()
        .join(',')}}`;
    case 'type':
      return `type(${v.v})`;
    case 'timestamp':
      return `timestamp(${v.v})`;
    case 'duration':
      return `duration(${String(v.v)})`;
    default:
      return `unsupported(${v.v})`;
  }
}

function bindingsOf(test: TextMessage): Record<string, ConfValue> {
  const out: Record<string, ConfValue> = {};
  for (const b of (test.bindings ?? []).filter(isMessage)) {
    const key = utf8(first(b, 'key'));
    const exprValue = firstMessage(b, 'value') ?? {};
    const value = firstMessage(exprValue, 'value');
    out[key] = value ? confValueOf(value) : { t: 'unsupported', v: 'non-value binding' };
  }
  return out;
}

function judge(adapter: ConformanceAdapter, test: TextMessage): string | undefined {
  const expr = utf8(first(test, 'expr') ?? '');
  const container = utf8(first(test, 'container') ?? '');
  const disableMacros = first(test, 'disable_macros') === true;
  const res = adapter.run(expr, bindingsOf(test), { container, disableMacros });
  const checkOnly = first(test, 'check_only') === true;
  if (checkOnly)
    return res.ok || !/parse|syntax|unexpected/i.test(res.error) ? undefined : `check failed: ${res.error}`;
  if ('eval_error' in test || 'any_eval_errors' in test)
    return res.ok ? `expected an error, got ${res.canonical}` : undefined;
  if ('unknown' in test || 'any_unknowns' in test) return 'unknown sets are not supported by the runner';
  const valueMsg =
    firstMessage(test, 'value') ?? firstMessage(firstMessage(test, 'typed_result') ?? {}, 'result');
  const expected = valueMsg ? canonical(confValueOf(valueMsg)) : 'bool(true)';
  if (!res.ok) return `error: ${res.error}`;
  return res.canonical === expected ? undefined : `got ${res.canonical}, want ${expected}`;
}

const PROTO_HINT =
  /google\.protobuf|TestAllTypes|NestedTestAllTypes|(?<![\w.])[A-Z]\w*(?:\.\w+)*\s*\{|proto[23]/;

/** True when a test needs protobuf message types: a container, a message literal or a message value. */
export function needsProto(test: TextMessage): boolean {
  if (utf8(first(test, 'container') ?? '') !== '') return true;
  const expr = utf8(first(test, 'expr') ?? '');
  if (PROTO_HINT.test(expr)) return true;
  const json = JSON.stringify(test, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return (
    /type\.googleapis\.com\/(?!google\.protobuf\.(Duration|Timestamp)\])/.test(json) ||
    json.includes('message_type')
  );
}

/** Runs every test of one conformance file's text. */
export function runConformanceFile(adapter: ConformanceAdapter, file: string, text: string): FileScore {
  const doc = parseTextProto(text);
  const score: FileScore = { file, passed: 0, total: 0, passedNoProto: 0, totalNoProto: 0, failures: [] };
  for (const section of (doc.section ?? []).filter(isMessage)) {
    for (const test of (section.test ?? []).filter(isMessage)) {
      score.total++;
      let reason: string | undefined;
      try {
        reason = judge(adapter, test);
      } catch (e) {
        reason = `adapter threw: ${e instanceof Error ? e.message : String(e)}`;
      }
      const proto = needsProto(test);
      if (!proto) score.totalNoProto++;
      if (reason === undefined) {
        score.passed++;
        if (!proto) score.passedNoProto++;
      } else
        score.failures.push({ name: `${utf8(first(section, 'name'))}/${utf8(first(test, 'name'))}`, reason });
    }
  }
  return score;
}
