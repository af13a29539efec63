import path from 'node:path';
import { Option, type Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { UsageError } from '../core/index.js';
import type { CliIO } from './io.js';

/** One `-o FORMAT[=FILE]`: where one rendering of a command's result goes (stdout without a file). */
export interface OutputTarget<F extends string> {
  format: F;
  file?: string;
}

/** The formats a command writes, the aliases it accepts and the format used when none is given. */
export interface OutputFormats<F extends string> {
  formats: readonly F[];
  default: F;
  /** Other names for a format, e.g. `text` for `table`. */
  aliases?: Readonly<Record<string, F>>;
}

/** Kubernetes manifests: a YAML stream for kubectl (default), or one JSON `List`. */
export const MANIFEST_FORMATS: OutputFormats<'yaml' | 'json'> = {
  formats: ['yaml', 'json'],
  default: 'yaml',
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Adds the one output convention every command shares: `-o FORMAT[=FILE]` (repeatable) and
 * `--output-file FILE`, the shorthand for the file of the one `-o` that names none.
 */
export function addOutputOptions<F extends string>(cmd: Command, choice: OutputFormats<F>): Command {
  const aliases = Object.keys(choice.aliases ?? {});
  return cmd
    .addOption(
      new Option(
        '-o, --output <format[=file]>',
        `output format, repeatable, each to stdout or to FILE: ${[...choice.formats, ...aliases].join(', ')} (default ${choice.default})`,
      )
        .argParser(collect)
        .default([]),
    )
    .option('--output-file <file>', 'write the one output that names no file to FILE instead of stdout');
}

/**
 * Parses repeated `-o FORMAT[=FILE]` values and `--output-file`: every problem in one usage
 * error (unknown format, empty file name, one file named twice, `--output-file` with nothing
 * left to send there).
 */
export function parseOutputs<F extends string>(
  values: unknown,
  outputFile: unknown,
  choice: OutputFormats<F>,
): OutputTarget<F>[] {
  const given: string[] =
    typeof values === 'string' ? [values] : Array.isArray(values) ? values.map(String) : [];
  const valid = [...choice.formats, ...Object.keys(choice.aliases ?? {})].join(', ');
  const problems: string[] = [];
  const targets: OutputTarget<F>[] = [];
  const files = new Map<string, string>();
  for (const raw of given.length > 0 ? given : [choice.default]) {
    const eq = raw.indexOf('=');
    const name = (eq === -1 ? raw : raw.slice(0, eq)).trim().toLowerCase();
    const file = eq === -1 ? undefined : raw.slice(eq + 1).trim();
    const format = (choice.formats as readonly string[]).includes(name)
      ? (name as F)
      : choice.aliases?.[name];
    if (format === undefined) {
      problems.push(
        name === ''
          ? `-o "${raw}" names no format; valid formats: ${valid}`
          : `unknown output format "${name}"; valid formats: ${valid}`,
      );
      continue;
    }
    if (file === '') {
      problems.push(`-o "${raw}" has an empty file name; use ${name}=FILE, or ${name} for stdout`);
      continue;
    }
    if (file !== undefined) {
      const previous = files.get(file);
      if (previous !== undefined) {
        problems.push(`file "${file}" is the target of both ${previous} and ${name}`);
        continue;
      }
      files.set(file, name);
    }
    targets.push(file === undefined ? { format } : { format, file });
  }
  if (typeof outputFile === 'string' && problems.length === 0) {
    const target = targets.find((t) => t.file === undefined);
    if (outputFile === '') problems.push('--output-file needs a file name');
    else if (target === undefined)
      problems.push('--output-file given but every -o already names its file (use -o FORMAT=FILE)');
    else target.file = outputFile;
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return targets;
}

/** Renders a command's result as JSON or YAML, the formats every command writes alike. */
export function renderData(format: 'json' | 'yaml', data: unknown): string {
  return format === 'json'
    ? `${JSON.stringify(data, null, 2)}\n`
    : toYaml(data, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** Writes each target: `render(format)` to stdout or to its file (relative to the working directory). */
export async function writeOutputs<F extends string>(
  targets: readonly OutputTarget<F>[],
  io: CliIO,
  render: (format: F) => string,
): Promise<void> {
  for (const t of targets) {
    const text = render(t.format);
    if (t.file === undefined) io.stdout.write(text);
    else await io.writeFile(path.resolve(io.cwd, t.file), text);
  }
}
