import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { addOutputOptions } from '../output.js';

const HELP = `
Prints the built-in control catalogue: id, severity, title, rationale, remediation and the
CIS Kubernetes Benchmark, NSA/CISA and MITRE ATT&CK mappings.

Exit codes: 0 done, 2 usage error (an unknown framework or format).

Examples:
  $ palisade controls list
  $ palisade controls list --framework cis -o md
  $ palisade controls list --framework pss:restricted@v1.29 -o json`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `palisade controls list`; the implementation is imported when it runs. */
export function registerControlsCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const controls = program.command('controls').description('the built-in control catalogue');
  addOutputOptions(controls.command('list'), {
    formats: ['table', 'json', 'yaml', 'md'],
    default: 'table',
    aliases: { text: 'table', markdown: 'md' },
  })
    .description('list built-in controls and their framework mappings')
    .option(
      '--framework <spec>',
      'only controls of: cis, nsa, mitre, pss:<level>[@<version>], all, none (repeatable, comma-separated)',
      collect,
      [],
    )
    .addHelpText('after', HELP)
    .action(async (opts: { framework: string[]; output: string[]; outputFile?: string }) => {
      const { runControlsList } = await import('./controls.js');
      setExit(
        await runControlsList(
          {
            framework: opts.framework,
            output: opts.output,
            ...(opts.outputFile !== undefined ? { outputFile: opts.outputFile } : {}),
          },
          io,
        ),
      );
    });
}
