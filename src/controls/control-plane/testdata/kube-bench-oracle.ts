/**
 * Test-only helpers that read kube-bench's cfg data from ../shared/oracles at run time
 * (never copied into the project) and turn a kube-bench check into Palisade's shapes.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import type { TestItem, Tests } from '../types.js';

/** Root of the shared kube-bench oracle, relative to the repository root. */
export const ORACLE_DIR = path.resolve(import.meta.dirname, '../../../..', '../shared/oracles/cis-kube-bench');

/** True when the oracle is present on this machine. */
export function oraclePresent(): boolean {
  return existsSync(path.join(ORACLE_DIR, 'kube-bench-check-unit-cases.json'));
}

/** A kube-bench check as written in its YAML. */
export interface RawCheck {
  id: string | number;
  text?: string;
  audit?: string;
  audit_config?: string;
  type?: string;
  use_multiple_values?: boolean;
  scored?: boolean;
  remediation?: string;
  tests?: {
    bin_op?: string;
    test_items?: {
      flag?: string | number;
      path?: string | number;
      env?: string | number;
      set?: boolean;
      compare?: { op?: string | number; value?: string | number | boolean };
    }[];
  };
}

/** A kube-bench control file. */
export interface RawControls {
  id: string | number;
  type: string;
  groups: { id: string | number; text: string; checks: RawCheck[] }[];
}

/** Reads a YAML file of the oracle. */
export function readControls(relative: string): RawControls {
  return load(readFileSync(path.join(ORACLE_DIR, relative), 'utf8')) as RawControls;
}

/** Converts kube-bench's tests to Palisade's, with Go's string conversion of compare values. */
export function toTests(raw: RawCheck['tests']): Tests | undefined {
  if (!raw) return undefined;
  const items: TestItem[] = (raw.test_items ?? []).map((t) => ({
    ...(t.flag !== undefined ? { flag: String(t.flag) } : {}),
    ...(t.path !== undefined ? { path: String(t.path) } : {}),
    ...(t.env !== undefined ? { env: String(t.env) } : {}),
    ...(t.set !== undefined ? { set: t.set } : {}),
    ...(t.compare !== undefined
      ? {
          compare: {
            op: String(t.compare.op ?? ''),
            value: t.compare.value === undefined ? '' : String(t.compare.value),
          },
        }
      : {}),
  }));
  return { ...(raw.bin_op !== undefined ? { binOp: raw.bin_op as 'and' | 'or' } : {}), items };
}
