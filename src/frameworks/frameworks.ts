/**
 * The frameworks Palisade maps its controls to, and the selection `--framework` makes.
 *
 * A spec is `cis`, `nsa`, `mitre`, `pss:<level>[@<version>]`, `all` or `none`; several may
 * be given (repeated flag or comma-separated). `all` (the default) selects every built-in
 * catalogue control and scores it against CIS, NSA/CISA and MITRE. A framework key selects
 * the controls mapped to it. `pss:` selects the Pod Security Standards checks of that level
 * and version. `none` selects no built-in control (only user policies then run) and cannot
 * be combined with another spec.
 */
import { err, ok, type CatalogEntry, type Result } from '../core/index.js';
import { CATALOG } from '../controls/index.js';
import { parsePssFramework, pssControls } from '../controls/pss/index.js';

/** A framework controls map onto. */
export interface FrameworkInfo {
  /** What users type after `--framework`. */
  key: 'cis' | 'nsa' | 'mitre';
  /** The `FrameworkRef.id` controls use. */
  id: string;
  name: string;
  version: string;
  url: string;
}

/** Every mapped framework, in the order reports list scores. */
export const FRAMEWORKS: readonly FrameworkInfo[] = [
  {
    key: 'cis',
    id: 'cis-1.10',
    name: 'CIS Kubernetes Benchmark',
    version: 'v1.10',
    url: 'https://www.cisecurity.org/benchmark/kubernetes',
  },
  {
    key: 'nsa',
    id: 'nsa-cisa-1.2',
    name: 'NSA/CISA Kubernetes Hardening Guidance',
    version: 'v1.2',
    url: 'https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF',
  },
  {
    key: 'mitre',
    id: 'mitre-attack',
    name: 'MITRE ATT&CK for Containers',
    version: 'v16',
    url: 'https://attack.mitre.org/matrices/enterprise/containers/',
  },
];

/** The default of `--framework`. */
export const DEFAULT_FRAMEWORK_SPECS: readonly string[] = ['all'];

/** A group of controls scored together under one name (e.g. `cis-1.10`, `pss:baseline@latest`). */
export interface ControlSet {
  framework: string;
  controls: readonly CatalogEntry[];
}

/** What `--framework` selected: the controls to run (each once) and the sets to score. */
export interface FrameworkSelection {
  controls: CatalogEntry[];
  sets: ControlSet[];
}

/** Controls of the catalogue mapped to a framework id. */
export function controlsOfFramework(id: string, catalog: readonly CatalogEntry[] = CATALOG): CatalogEntry[] {
  return catalog.filter((c) => c.frameworks.some((f) => f.id === id));
}

/** Splits repeated and comma-separated values into specs, lower-cased and trimmed. */
export function splitFrameworkSpecs(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * Resolves `--framework` values into controls and scored sets; every bad spec is reported
 * in one message. No value means the default (`all`).
 */
export function selectFrameworks(
  values: readonly string[],
  catalog: readonly CatalogEntry[] = CATALOG,
): Result<FrameworkSelection, string> {
  const specs = splitFrameworkSpecs(values.length > 0 ? values : DEFAULT_FRAMEWORK_SPECS);
  if (specs.length === 0)
    return err('--framework needs a value: cis, nsa, mitre, pss:<level>[@<version>], all or none');
  const problems: string[] = [];
  const sets: ControlSet[] = [];
  const add = (set: ControlSet): void => {
    if (!sets.some((s) => s.framework === set.framework)) sets.push(set);
  };
  for (const spec of specs) {
    const key = spec.toLowerCase();
    if (key === 'none') {
      if (specs.length > 1) problems.push('--framework none cannot be combined with other frameworks');
      continue;
    }
    if (key === 'all') {
      for (const f of FRAMEWORKS) add({ framework: f.id, controls: controlsOfFramework(f.id, catalog) });
      continue;
    }
    const fw = FRAMEWORKS.find((f) => f.key === key || f.id === key);
    if (fw) {
      add({ framework: fw.id, controls: controlsOfFramework(fw.id, catalog) });
      continue;
    }
    if (key.startsWith('pss:')) {
      const parsed = parsePssFramework(spec.slice('pss:'.length));
      if (!parsed.ok) problems.push(`invalid Pod Security framework "${spec}": ${parsed.error}`);
      else
        add({
          framework: `pss:${parsed.value.level}@${parsed.value.version}`,
          controls: pssControls(parsed.value.level, parsed.value.version),
        });
      continue;
    }
    problems.push(`unknown framework "${spec}"; valid: cis, nsa, mitre, pss:<level>[@<version>], all, none`);
  }
  if (problems.length > 0) return err(problems.join('\n'));
  const controls: CatalogEntry[] = [];
  const seen = new Set<string>();
  // `all` runs the whole catalogue, mapped or not.
  const pool = specs.some((s) => s.toLowerCase() === 'all') ? [catalog] : [];
  for (const list of [...pool, ...sets.map((s) => s.controls)]) {
    for (const c of list) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      controls.push(c);
    }
  }
  return ok({ controls, sets });
}
