import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';

const HELP = `
Prints the built-in control catalogue: id, severity, title, rationale, remediation and the
CIS Kubernetes Benchmark, NSA/CISA and MITRE ATT&CK mappings.

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
  controls
    .command('list')
    .description('list built-in controls and their framework mappings')
    .option(
      '--framework <spec>',
      'only controls of: cis, nsa, mitre, pss:<level>[@<version>], all, none (repeatable, comma-separated)',
      collect,
      [],
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'md']).default('table'),
    )
    .addHelpText('after', HELP)
    .action(async (opts: { framework: string[]; output: 'table' | 'json' | 'md' }) => {
      const { runControlsList } = await import('./controls.js');
      setExit(runControlsList({ framework: opts.framework, output: opts.output }, io));
    });
}
