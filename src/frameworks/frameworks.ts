/**
 * The frameworks Palisade maps its controls to, and the selection `--framework` makes.
 *
 * A spec is `default`, `cis`, `nsa`, `mitre`, `best-practices`, `pss:<level>[@<version>]`,
 * `all` or `none`; several may be given (repeated flag or comma-separated). `default` (what
 * no flag means) selects every built-in security control, that is the catalogue without the
 * reliability hygiene of `best-practices` (probes, resource requests), and scores it against
 * CIS, NSA/CISA and MITRE. `all` adds the best-practices controls and their score. A
 * framework key selects the controls mapped to it. `pss:` selects the Pod Security Standards
 * checks of that level and version. `none` selects no built-in control (only user policies
 * then run) and cannot be combined with another spec.
 */
import { err, ok, type CatalogEntry, type Result } from '../core/index.js';
import { CATALOG } from '../controls/index.js';
import { parsePssFramework, pssControls } from '../controls/pss/index.js';
import { MITRE_TACTICS, tacticsOfTechnique } from './mitre.js';

/** A framework controls map onto. */
export interface FrameworkInfo {
  /** What users type after `--framework`. */
  key: 'cis' | 'nsa' | 'mitre' | 'best-practices';
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
  {
    key: 'best-practices',
    id: 'best-practices',
    name: 'Reliability best practices',
    version: 'v1',
    url: 'https://kubernetes.io/docs/concepts/configuration/overview/',
  },
];

/** Frameworks about security, scored by `default`; the others are opt-in. */
const SECURITY_FRAMEWORK_IDS: readonly string[] = ['cis-1.10', 'nsa-cisa-1.2', 'mitre-attack'];

/** The default of `--framework`. */
export const DEFAULT_FRAMEWORK_SPECS: readonly string[] = ['default'];

/** A group of controls scored together under one name (e.g. `cis-1.10`, `pss:baseline@latest`). */
export interface ControlSet {
  framework: string;
  controls: readonly CatalogEntry[];
  /**
   * When set, the set is scored per group (e.g. per MITRE tactic) and its score is the mean
   * of its groups' scores; a control counts in every group it returns.
   */
  groupsOf?: (control: CatalogEntry) => readonly string[];
  /** Order of the groups in reports. */
  groupOrder?: readonly string[];
}

/** True when a control is reliability hygiene (mapped to best-practices), not security. */
function isBestPractice(c: CatalogEntry): boolean {
  return c.frameworks.some((f) => f.id === 'best-practices');
}

/** The MITRE tactics of a control, through the techniques it maps to. */
export function mitreTacticsOf(c: CatalogEntry): string[] {
  const out = new Set<string>();
  for (const f of c.frameworks)
    if (f.id === 'mitre-attack') for (const t of tacticsOfTechnique(f.control)) out.add(t);
  return [...out];
}

/** The scored set of one framework over a pool of controls. */
function setOf(f: FrameworkInfo, catalog: readonly CatalogEntry[]): ControlSet {
  const set: ControlSet = { framework: f.id, controls: controlsOfFramework(f.id, catalog) };
  if (f.key === 'mitre') {
    set.groupsOf = mitreTacticsOf;
    set.groupOrder = MITRE_TACTICS;
  }
  return set;
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
    return err(
      '--framework needs a value: default, cis, nsa, mitre, best-practices, pss:<level>[@<version>], all or none',
    );
  const security = catalog.filter((c) => !isBestPractice(c));
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
      for (const f of FRAMEWORKS) add(setOf(f, catalog));
      continue;
    }
    if (key === 'default') {
      for (const f of FRAMEWORKS) if (SECURITY_FRAMEWORK_IDS.includes(f.id)) add(setOf(f, security));
      continue;
    }
    const fw = FRAMEWORKS.find((f) => f.key === key || f.id === key);
    if (fw) {
      add(setOf(fw, catalog));
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
    problems.push(
      `unknown framework "${spec}"; valid: default, cis, nsa, mitre, best-practices, pss:<level>[@<version>], all, none`,
    );
  }
  if (problems.length > 0) return err(problems.join('\n'));
  const controls: CatalogEntry[] = [];
  const seen = new Set<string>();
  // `all` runs the whole catalogue, mapped or not; `default` every security control.
  const lower = specs.map((s) => s.toLowerCase());
  const pool = lower.includes('all') ? [catalog] : lower.includes('default') ? [security] : [];
  for (const list of [...pool, ...sets.map((s) => s.controls)]) {
    for (const c of list) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      controls.push(c);
    }
  }
  return ok({ controls, sets });
}
