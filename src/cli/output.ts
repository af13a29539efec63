import path from 'node:path';
import { Option, type Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { UsageError } from '../core/index.js';
import { parseFormatSpecs } from '../report/index.js';
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
 * Parses repeated `-o FORMAT[=FILE]` values (the one parser, `parseFormatSpecs`: every problem
 * in one usage error) and `--output-file`, which names the file of the one `-o` without one.
 */
export function parseOutputs<F extends string>(
  values: unknown,
  outputFile: unknown,
  choice: OutputFormats<F>,
): OutputTarget<F>[] {
  const given: string[] =
    typeof values === 'string' ? [values] : Array.isArray(values) ? values.map(String) : [];
  const parsed = parseFormatSpecs(
    given.length > 0 ? given : [choice.default],
    choice.formats,
    undefined,
    choice.aliases ?? {},
    choice.default,
  );
  if (!parsed.ok) throw new UsageError(parsed.error);
  const targets: OutputTarget<F>[] = parsed.value;
  if (typeof outputFile === 'string') {
    const target = targets.find((t) => t.file === undefined);
    if (outputFile === '') throw new UsageError('--output-file needs a file name');
    if (target === undefined)
      throw new UsageError('--output-file given but every -o already names its file (use -o FORMAT=FILE)');
    target.file = outputFile;
  }
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
