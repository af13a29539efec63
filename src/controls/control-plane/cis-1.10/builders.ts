/** Small constructors that keep the benchmark declarations readable. */
import type {
  Audit,
  BenchmarkSection,
  CisCheck,
  ComponentName,
  FileSetName,
  StatLine,
  TestItem,
  Tests,
} from '../types.js';

/** A group of the benchmark. */
export interface Group {
  section: BenchmarkSection;
  id: string;
  title: string;
}

/** Fields every check declaration gives. */
export interface CheckFields {
  id: string;
  text: string;
  scored: boolean;
  remediation: string;
}

/** A check that reads a component's flags (and its config file when `config` is true). */
export function flagCheck(
  group: Group,
  fields: CheckFields,
  component: ComponentName,
  tests: Tests,
  options: { config?: boolean } = {},
): CisCheck {
  const audit: Audit = { kind: 'flags', component, ...(options.config ? { config: true } : {}) };
  return { ...fields, section: group.section, group: { id: group.id, title: group.title }, audit, tests };
}

/** A check on the mode or owner of a set of files. */
export function fileCheck(
  group: Group,
  fields: CheckFields,
  files: FileSetName,
  line: StatLine,
  tests: Tests,
  options: { multiple?: boolean; whenMissing?: string } = {},
): CisCheck {
  const audit: Audit = {
    kind: 'files',
    files,
    line,
    ...(options.whenMissing !== undefined ? { whenMissing: options.whenMissing } : {}),
  };
  return {
    ...fields,
    section: group.section,
    group: { id: group.id, title: group.title },
    audit,
    ...(options.multiple ? { multipleValues: true } : {}),
    tests,
  };
}

/** A check the benchmark leaves to a person. */
export function manualCheck(group: Group, fields: CheckFields): CisCheck {
  return { ...fields, section: group.section, group: { id: group.id, title: group.title }, type: 'manual' };
}

/** Items combined with `and` (the default). */
export function all(...items: TestItem[]): Tests {
  return { items };
}

/** Items combined with `and`, written explicitly as the benchmark does. */
export function and(...items: TestItem[]): Tests {
  return { binOp: 'and', items };
}

/** Items combined with `or`. */
export function or(...items: TestItem[]): Tests {
  return { binOp: 'or', items };
}

/** The flag (or word) is present. */
export function present(flag: string, extra: Omit<TestItem, 'flag' | 'compare'> = {}): TestItem {
  return { flag, ...extra };
}

/** The flag is absent. */
export function absent(flag: string, extra: Omit<TestItem, 'flag' | 'set' | 'compare'> = {}): TestItem {
  return { flag, ...extra, set: false };
}

/** The flag is present and compares to `value` under `op`. */
export function compare(
  flag: string,
  op: string,
  value: string,
  extra: Omit<TestItem, 'flag' | 'compare'> = {},
): TestItem {
  return { flag, ...extra, compare: { op, value } };
}

/** A file's mode is at most `max` (octal). */
export function modeAtMost(max: string): Tests {
  return all(compare('permissions', 'bitmask', max));
}
