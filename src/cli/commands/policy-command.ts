/** The `palisade policy` command tree; implementations are imported when a subcommand runs. */
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { addOutputOptions } from '../output.js';

const TEST_HELP = `
Runs PolicyTest suites (*.test.yaml): each names its policy files and lists cases with the
expected outcome (pass, fail, warn, audit, error, or a mutated object). See docs/policy.md.

Prints one line per case, then "N passed, N failed"; -o json or yaml writes every case's
outcome instead (problems with suites and policies stay on stderr).
Exit codes: 0 all passed, 1 a case failed, 2 unreadable suite or policy that does not compile.

Examples:
  $ palisade policy test examples/policies
  $ palisade policy test policies/no-latest-tag/no-latest-tag.test.yaml -q
  $ palisade policy test examples/policies -o json --output-file policy-tests.json`;

const EXPORT_HELP = `
Writes the native Kubernetes objects for Palisade CELPolicy objects: a
ValidatingAdmissionPolicy and its ValidatingAdmissionPolicyBinding. Native policies and
bindings are written unchanged, so the output can be applied with kubectl.

Exit codes: 0 done, 2 usage error or a policy that does not read or compile.

Examples:
  $ palisade policy export examples/policies/require-labels/policy.yaml
  $ palisade policy export policies/ --output-file native.yaml && kubectl apply -f native.yaml`;

/** Registers `palisade policy test` and `palisade policy export`. */
export function registerPolicyCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const policy = program.command('policy').description('test and export CEL admission policies');
  const test = policy
    .command('test')
    .description('run PolicyTest suites against their policies')
    .argument('<paths...>', 'directories or suite files')
    .option('-q, --quiet', 'print only failures and the summary')
    .addHelpText('after', TEST_HELP);
  addOutputOptions(test, {
    formats: ['table', 'json', 'yaml'],
    default: 'table',
    aliases: { text: 'table' },
  }).action(async (paths: string[], opts: { quiet?: boolean; output?: string[]; outputFile?: string }) => {
    const { runPolicyTestCommand } = await import('./policy.js');
    setExit(
      await runPolicyTestCommand(
        paths,
        {
          quiet: opts.quiet === true,
          output: opts.output ?? [],
          ...(opts.outputFile !== undefined ? { outputFile: opts.outputFile } : {}),
        },
        io,
      ),
    );
  });
  policy
    .command('export')
    .description('write native ValidatingAdmissionPolicy and binding objects')
    .argument('<paths...>', 'policy files or directories; - reads standard input')
    .option(
      '-o, --output <format[=file]>',
      'yaml (default) or json, repeatable; FORMAT=FILE writes to a file',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--output-file <file>', 'write to this file instead of standard output')
    .addHelpText('after', EXPORT_HELP)
    .action(async (paths: string[], opts: { output: string[]; outputFile?: string }) => {
      const { runPolicyExportCommand } = await import('./policy.js');
      setExit(
        await runPolicyExportCommand(
          paths,
          { output: opts.output, ...(opts.outputFile !== undefined ? { outputFile: opts.outputFile } : {}) },
          io,
        ),
      );
    });
}
