import type { Command } from 'commander';
import type { CliIO } from '../io.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `palisade history`; the implementation is imported when it runs. */
export function registerHistoryCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('history')
    .description('list recorded scans with their scores and open findings over time')
    .option(
      '--db <path-or-url>',
      'history store: a SQLite file or postgres://… URL (default $PALISADE_DB or ~/.palisade/palisade.db)',
    )
    .option('--cluster <name>', 'only scans recorded under this name')
    .option('--limit <n>', 'at most this many scans, newest first (default 50)', Number)
    .option(
      '-o, --output <format[=file]>',
      'output format, repeatable: table (alias text), json, yaml; FORMAT=FILE writes to a file',
      collect,
      [],
    )
    .option('--output-file <file>', 'write the one output that names no file to FILE')
    .addHelpText(
      'after',
      `
Scans are recorded by \`palisade scan … --db\`. Ids are what \`palisade drift\` compares.

Exit codes: 0 done, 2 usage error or a store that cannot be opened.

Examples:
  $ palisade history
  $ palisade history --cluster prod --limit 10
  $ palisade history --db postgres://palisade@db.internal/palisade -o json=history.json`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const { runHistory } = await import('./history.js');
      setExit(
        await runHistory(
          {
            ...(typeof opts.db === 'string' ? { db: opts.db } : {}),
            ...(typeof opts.cluster === 'string' ? { cluster: opts.cluster } : {}),
            ...(typeof opts.limit === 'number' ? { limit: opts.limit } : {}),
            output: opts.output as string[],
            ...(typeof opts.outputFile === 'string' ? { outputFile: opts.outputFile } : {}),
          },
          io,
        ),
      );
    });
}
