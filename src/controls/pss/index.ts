/**
 * STUB — placeholder for the Pod Security Standards module written on branch `pss`.
 *
 * The real module replaces this file at merge; it exists only so `src/frameworks/` can be
 * written and type-checked against the agreed surface. It selects no control: every `pss:`
 * framework spec parses, and evaluates nothing until the real checks land.
 */
import type { CatalogEntry } from '../../core/index.js';

export type PssLevel = 'baseline' | 'restricted';
export interface PssSelection {
  level: PssLevel;
  version: string;
}

/** STUB: parses `pss:<level>[@<version>]` (the real module validates the version). */
export function parsePssFramework(
  spec: string,
): { ok: true; value: PssSelection } | { ok: false; error: string } {
  const m = /^pss:(baseline|restricted)(?:@(latest|v1\.\d+))?$/.exec(spec);
  if (!m)
    return {
      ok: false,
      error: `invalid Pod Security framework "${spec}" (pss:baseline|restricted[@v1.N|latest])`,
    };
  return { ok: true, value: { level: m[1] as PssLevel, version: m[2] ?? 'latest' } };
}

/** STUB: the real module returns the checks of a level at a version. */
export function pssControls(_level: PssLevel, _version: string): CatalogEntry[] {
  return [];
}

/** STUB: the real module lists the upstream check ids. */
export const PSS_CHECK_IDS: readonly string[] = [];
