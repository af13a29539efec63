/**
 * Conformance adapters for the two CEL engines compared in docs/decisions/cel-engine.md:
 * @marcbachmann/cel-js (with Palisade's Kubernetes libraries, as production uses it) and
 * @bufbuild/cel (with its strings extension and the conformance protobuf registry).
 */
import { Environment, Optional } from '@marcbachmann/cel-js';
import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator';
import { celUint, isCelError, isCelList, isCelMap, isCelType, isCelUint, run as bufRun } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { getTestRegistry } from '@bufbuild/cel-spec/testdata/registry.js';
import { registerKubernetesLibraries } from '../cel/k8s-lib.js';
import { compileChecked, evaluatorOf } from '../cel/compiled.js';
import { canonical, timestampText, type ConfValue, type ConformanceAdapter } from './runner.js';

function celJsInput(v: ConfValue): unknown {
  switch (v.t) {
    case 'null':
      return null;
    case 'uint':
      return new UnsignedInt(v.v);
    case 'list':
      return v.v.map(celJsInput);
    case 'map': {
      if (v.v.every(([k]) => k.t === 'string')) {
        const o: Record<string, unknown> = {};
        for (const [k, x] of v.v) if (k.t === 'string') o[k.v] = celJsInput(x);
        return o;
      }
      return new Map(v.v.map(([k, x]) => [celJsInput(k), celJsInput(x)]));
    }
    case 'duration':
      return new Duration(v.v / 1_000_000_000n, Number(v.v % 1_000_000_000n));
    case 'timestamp':
      return new Date(v.v);
    case 'unsupported':
      throw new Error(`cannot bind ${v.v}`);
    default:
      return v.v;
  }
}

function celJsCanonical(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return `bool(${String(v)})`;
  if (typeof v === 'bigint') return `int(${v})`;
  if (typeof v === 'number') return canonical({ t: 'double', v });
  if (typeof v === 'string') return canonical({ t: 'string', v });
  if (v instanceof Uint8Array) return canonical({ t: 'bytes', v });
  if (Array.isArray(v)) return `[${v.map(celJsCanonical).join(',')}]`;
  if (v instanceof UnsignedInt) return `uint(${String(v.value)})`;
  if (v instanceof Duration) return `duration(${v.seconds * 1_000_000_000n + BigInt(v.nanos)})`;
  if (v instanceof Date)
    return `timestamp(${timestampText(BigInt(Math.floor(v.getTime() / 1000)), BigInt((v.getTime() % 1000) * 1e6))})`;
  if (v instanceof Optional) return v.hasValue() ? `optional(${celJsCanonical(v.value())})` : 'optional.none';
  if (v instanceof Map)
    return `{${[...v.entries()]
      .map(([k, x]) => `${celJsCanonical(k)}:${celJsCanonical(x)}`)
      .sort()
      .join(',')}}`;
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  if (name === 'Type') return `type(${(v as { name: string }).name})`;
  if (name === 'Object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${canonical({ t: 'string', v: k })}:${celJsCanonical(x)}`)
      .sort()
      .join(',')}}`;
  return `unsupported(${name ?? typeof v})`;
}

/** A cel-js environment configured as Palisade runs it, plus undeclared variables as `dyn`. */
function conformanceEnvironment(): Environment {
  const env = new Environment({
    unlistedVariablesAreDyn: true,
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
  });
  registerKubernetesLibraries(env, undefined);
  return env;
}

/** How a conformance expression is run: parsed, checked, then interpreted or compiled. */
export type CelJsPath = 'interpreter' | 'compiled';

/**
 * Runs `expr` on `bindings` through one path: the checked AST interpreted by cel-js, or the
 * same checked AST compiled to closures (`compiled.ts`). The value's canonical text, or the
 * error's full message (which names the failing node's position).
 */
export function celJsRun(
  env: Environment,
  path: CelJsPath,
  expr: string,
  bindings: Readonly<Record<string, ConfValue>>,
): { ok: true; canonical: string } | { ok: false; error: string } {
  try {
    const ctx: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(bindings)) ctx[k] = celJsInput(v);
    const parsed = env.parse(expr);
    const checked = parsed.check();
    if (!checked.valid) return { ok: false, error: checked.error?.message ?? 'type check failed' };
    const value: unknown =
      path === 'compiled' ? compileChecked(parsed.ast, evaluatorFor(env))(ctx) : parsed(ctx);
    return { ok: true, canonical: celJsCanonical(value) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

const evaluators = new WeakMap<Environment, ReturnType<typeof evaluatorOf>>();
function evaluatorFor(env: Environment): ReturnType<typeof evaluatorOf> {
  let ev = evaluators.get(env);
  if (!ev) evaluators.set(env, (ev = evaluatorOf(env)));
  return ev;
}

/** A fresh conformance environment for `celJsRun`. */
export function celJsEnvironment(): Environment {
  return conformanceEnvironment();
}

/** The cel-js adapter through the compiled path (checked, then compiled to closures). */
export function celJsCompiledAdapter(): ConformanceAdapter {
  const env = conformanceEnvironment();
  return {
    name: '@marcbachmann/cel-js compiled',
    run(expr, bindings) {
      const r = celJsRun(env, 'compiled', expr, bindings);
      return r.ok ? r : { ok: false, error: r.error.split('\n')[0] ?? '' };
    },
  };
}

/** The @marcbachmann/cel-js adapter, configured as Palisade runs it (plus undeclared variables). */
export function celJsAdapter(): ConformanceAdapter {
  const env = conformanceEnvironment();
  return {
    name: '@marcbachmann/cel-js',
    run(expr, bindings) {
      try {
        const ctx: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(bindings)) ctx[k] = celJsInput(v);
        return { ok: true, canonical: celJsCanonical(env.evaluate(expr, ctx)) };
      } catch (e) {
        return { ok: false, error: (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '' };
      }
    },
  };
}

function bufInput(v: ConfValue): unknown {
  switch (v.t) {
    case 'null':
      return null;
    case 'uint':
      return celUint(v.v);
    case 'list':
      return v.v.map(bufInput);
    case 'map':
      return new Map(v.v.map(([k, x]) => [bufInput(k), bufInput(x)]));
    case 'unsupported':
    case 'duration':
    case 'timestamp':
    case 'type':
      throw new Error(`cannot bind ${v.t}`);
    default:
      return v.v;
  }
}

function bufCanonical(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return `bool(${String(v)})`;
  if (typeof v === 'bigint') return `int(${v})`;
  if (typeof v === 'number') return canonical({ t: 'double', v });
  if (typeof v === 'string') return canonical({ t: 'string', v });
  if (v instanceof Uint8Array) return canonical({ t: 'bytes', v });
  if (isCelUint(v)) return `uint(${String(v.value)})`;
  if (isCelList(v)) return `[${[...v].map(bufCanonical).join(',')}]`;
  if (isCelMap(v))
    return `{${[...v.entries()]
      .map(([k, x]) => `${bufCanonical(k)}:${bufCanonical(x)}`)
      .sort()
      .join(',')}}`;
  if (isCelType(v)) return `type(${v.name})`;
  const msg = v as { desc?: { typeName?: string }; message?: Record<string, unknown> };
  const typeName = msg.desc?.typeName;
  if (typeName === 'google.protobuf.Duration' && msg.message) {
    const s = msg.message.seconds as bigint;
    return `duration(${s * 1_000_000_000n + BigInt(msg.message.nanos as number)})`;
  }
  if (typeName === 'google.protobuf.Timestamp' && msg.message)
    return `timestamp(${timestampText(msg.message.seconds as bigint, BigInt(msg.message.nanos as number))})`;
  return `unsupported(${typeName ?? typeof v})`;
}

/** The @bufbuild/cel adapter with its strings extension and the conformance test registry. */
export function bufbuildAdapter(): ConformanceAdapter {
  const registry = getTestRegistry();
  return {
    name: '@bufbuild/cel',
    run(expr, bindings, test) {
      try {
        const input: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(bindings)) input[k] = bufInput(v);
        const res = bufRun(expr, input as Parameters<typeof bufRun>[1], {
          funcs: strings,
          registry,
          ...(test.container ? { namespace: test.container } : {}),
        });
        if (isCelError(res)) return { ok: false, error: res.message };
        return { ok: true, canonical: bufCanonical(res) };
      } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
    },
  };
}
