import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';
import { addOutputOptions, parseOutputs, type OutputFormats } from '../output.js';
import type { DbOptions } from './db.js';

/** The formats of the `db` commands. */
const DB_FORMATS: OutputFormats<'table' | 'json' | 'yaml'> = {
  formats: ['table', 'json', 'yaml'],
  default: 'table',
  aliases: { text: 'table' },
};

const DB_HELP = `
The vulnerability database is a local SQLite file of OSV records (https://osv.dev), used by
image and SBOM scans fully offline. Default location: ~/.palisade/vulndb.sqlite; change it
with --vuln-db PATH or the PALISADE_VULN_DB environment variable.

Examples:
  $ palisade db import ~/Downloads/Debian/all.zip ~/Downloads/PyPI/all.zip
  $ palisade db import ./osv-records/ GHSA-xxxx-yyyy-zzzz.json
  $ palisade db update --from https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip
  $ palisade db update --from /mnt/mirror/osv/
  $ palisade db status --max-db-age 3d -o json
  $ PALISADE_VULN_DB=/var/lib/palisade/vulndb.sqlite palisade db status`;

const IMPORT_HELP = `
Loads OSV records from JSON files (one record or an array), directories (every *.json and
*.zip below them; symbolic links are not followed) and per-ecosystem all.zip exports. A record
that is already stored is replaced only by a newer one (by "modified"); withdrawn records are
removed. Malformed records are reported with their file, zip entry and id; the others are
imported. Zip entries and files above 32 MiB are refused (decompression bombs).

Exit codes: 0 every record imported, 2 usage error or some input could not be imported
(the rest is stored).

Examples:
  $ palisade db import all.zip
  $ palisade db import osv/ --vuln-db ./vulndb.sqlite -o json`;

const STATUS_HELP = `
Prints the database's location, record count, last import time and age, the records per
ecosystem and the recent imports. A database older than --max-db-age is a warning on stderr;
a missing database is an error (exit 2) that says how to import one.

Exit codes: 0 done, 2 usage error or no database.

Examples:
  $ palisade db status
  $ palisade db status --max-db-age 1d -o json`;

const UPDATE_HELP = `
Imports a fresh export: --from takes a directory (imported like db import) or an http(s) URL
of an all.zip or JSON file, downloaded with a 10 s connect timeout, 30 s header timeout and
60 s idle timeout, at most 4 GiB, then imported and deleted.

Exit codes: 0 every record imported, 2 usage error, a failed download or some input that
could not be imported (the rest is stored).

Examples:
  $ palisade db update --from https://osv-vulnerabilities.storage.googleapis.com/Alpine/all.zip
  $ palisade db update --from ./osv-mirror/`;

function dbOption(): Option {
  return new Option(
    '--vuln-db <path>',
    'vulnerability database file (default: $PALISADE_VULN_DB or ~/.palisade/vulndb.sqlite)',
  );
}

/** Registers `palisade db import|status|update`; the implementation is imported when one runs. */
export function registerDbCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const db = program
    .command('db')
    .description('manage the offline vulnerability database (OSV records)')
    .addHelpText('after', DB_HELP);
  addOutputOptions(db.command('import'), DB_FORMATS)
    .description('load OSV records from files, directories and all.zip exports')
    .argument('<paths...>', 'OSV JSON files, directories or zip exports')
    .addOption(dbOption())
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText('after', IMPORT_HELP)
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      const { runDbImport } = await import('./db.js');
      setExit(await runDbImport(paths, dbOptions(opts), io));
    });
  addOutputOptions(db.command('status'), DB_FORMATS)
    .description('show the database location, size, age and sources')
    .addOption(dbOption())
    .option(
      '--max-db-age <duration>',
      'warn when the last import is older than this (e.g. 12h, 7d, 2w)',
      '7d',
    )
    .addHelpText('after', STATUS_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { runDbStatus } = await import('./db.js');
      setExit(await runDbStatus({ ...dbOptions(opts), maxDbAge: String(opts.maxDbAge) }, io));
    });
  addOutputOptions(db.command('update'), DB_FORMATS)
    .description('import a fresh OSV export from a directory or an http(s) URL')
    .requiredOption('--from <dir-or-url>', 'directory of OSV records, or URL of an all.zip or JSON file')
    .addOption(dbOption())
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText('after', UPDATE_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { runDbUpdate } = await import('./db.js');
      setExit(await runDbUpdate(String(opts.from), dbOptions(opts), io));
    });
}

function dbOptions(opts: Record<string, unknown>): DbOptions {
  return {
    ...(typeof opts.vulnDb === 'string' ? { vulnDb: opts.vulnDb } : {}),
    outputs: parseOutputs(opts.output, opts.outputFile, DB_FORMATS),
    quiet: opts.quiet === true,
  };
}
