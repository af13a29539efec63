import { Option, type Command } from 'commander';
import { addInventorySourceOptions } from './cluster-source.js';
import type { CliIO } from '../io.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const INPUT_NOTE = `
Input: manifest files or directories (default: the current directory); - reads stdin.
Without -n a question is cluster-wide (as kubectl's --all-namespaces): only ClusterRoleBindings answer it.
The API server's built-in cluster-admin ClusterRole is assumed when the input lacks it.`;

type Opts = Record<string, unknown>;

function common(cmd: Command): Command {
  return addInventorySourceOptions(cmd)
    .option('-q, --quiet', 'no status lines on stderr')
    .option('--ignore-input-errors', 'report input errors but do not let them set exit code 2');
}

/** Registers `palisade rbac …`; implementations are imported when a subcommand runs. */
export function registerRbacCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const rbac = program
    .command('rbac')
    .description('least privilege: who can do what, escalation paths, suggested roles')
    .addHelpText(
      'after',
      `
Examples:
  $ palisade rbac who-can get secrets -n checkout ./deploy
  $ palisade rbac can-i --as system:serviceaccount:ops:ci-runner create pods -n ops ./deploy
  $ palisade rbac list ServiceAccount:storefront:catalog-api ./deploy
  $ palisade rbac paths --to cluster-admin ./deploy -o dot | dot -Tsvg > paths.svg
  $ palisade rbac suggest --audit-log audit.jsonl ./deploy`,
    );
  const run = async (fn: () => Promise<number>): Promise<void> => {
    setExit(await fn());
  };

  common(
    rbac
      .command('who-can')
      .description('list the subjects allowed to make a request, and through which bindings')
      .argument('<verb>', 'verb (get, list, create, …) or * ')
      .argument(
        '<resource>',
        'resource as kubectl names it (pods, po, deploy, pods/exec, deployments.apps) or a /non-resource/url',
      )
      .argument('[paths...]', 'manifest files or directories', [])
      .option('-n, --namespace <ns>', 'namespace of the request')
      .option('--name <name>', 'name of the object')
      .option('--api-group <group>', 'API group of the resource, when ambiguous or custom')
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      ),
  )
    .addHelpText(
      'after',
      `${INPUT_NOTE}

Examples:
  $ palisade rbac who-can get secrets -n checkout .
  $ palisade rbac who-can create pods/exec -n prod k8s/ -o json
  $ palisade rbac who-can get /metrics .`,
    )
    .action((verb: string, resource: string, paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runWhoCan(verb, resource, paths, opts, io)),
    );

  common(
    rbac
      .command('can-i')
      .description('answer whether a subject may make a request (exit 0 yes, 1 no)')
      .requiredOption(
        '--as <subject>',
        'User:NAME, Group:NAME, ServiceAccount:NS:NAME or system:serviceaccount:NS:NAME',
      )
      .option('--as-group <group>', 'extra group of the user (repeatable)', collect, [])
      .argument('<verb>', 'verb')
      .argument('<resource>', 'resource as kubectl names it, or a /non-resource/url')
      .argument('[paths...]', 'manifest files or directories', [])
      .option('-n, --namespace <ns>', 'namespace of the request')
      .option('--name <name>', 'name of the object')
      .option('--api-group <group>', 'API group of the resource')
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      ),
  )
    .addHelpText(
      'after',
      `${INPUT_NOTE}
Implicit groups are added as the authenticators do: system:authenticated, and for a
ServiceAccount system:serviceaccounts and system:serviceaccounts:NS.

Examples:
  $ palisade rbac can-i --as alice --as-group developers create deployments -n shop .
  $ palisade rbac can-i --as system:serviceaccount:ops:ci-runner '*' '*' .`,
    )
    .action((verb: string, resource: string, paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runCanI(verb, resource, paths, opts, io)),
    );

  common(
    rbac
      .command('list')
      .description("list a subject's effective rules, merged, with the bindings and roles that grant each")
      .argument('<subject>', 'User:NAME, Group:NAME, ServiceAccount:NS:NAME or system:serviceaccount:NS:NAME')
      .argument('[paths...]', 'manifest files or directories', [])
      .option('--as-group <group>', 'extra group of the user (repeatable)', collect, [])
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      ),
  )
    .addHelpText(
      'after',
      `${INPUT_NOTE}

Examples:
  $ palisade rbac list ServiceAccount:storefront:catalog-api .
  $ palisade rbac list Group:developers k8s/ -o json`,
    )
    .action((subject: string, paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runList(subject, paths, opts, io)),
    );

  common(
    rbac
      .command('paths')
      .description('shortest privilege-escalation paths, every hop explained')
      .argument('[paths...]', 'manifest files or directories', [])
      .option('--from <subject>', 'start from this subject only (repeatable)', collect, [])
      .option(
        '--to <target>',
        'cluster-admin, node, admission-bypass or secrets:NS (repeatable)',
        collect,
        [],
      )
      .addOption(
        new Option('-o, --output <format>', 'output format')
          .choices(['text', 'json', 'dot', 'html'])
          .default('text'),
      ),
  )
    .addHelpText(
      'after',
      `${INPUT_NOTE}
Exit code 1 when a path is found, 0 when none.

Examples:
  $ palisade rbac paths .
  $ palisade rbac paths --from Group:developers --to cluster-admin .
  $ palisade rbac paths --to secrets:checkout -o json .
  $ palisade rbac paths ./deploy -o html > rbac-paths.html`,
    )
    .action((paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runPaths(paths, opts, io)),
    );

  common(
    rbac
      .command('suggest')
      .description('minimal Roles and bindings that cover exactly the calls seen in an audit log')
      .requiredOption('--audit-log <file>', 'JSON lines of audit.k8s.io/v1 Events')
      .option('--subject <subject>', 'only this subject (repeatable)', collect, [])
      .argument('[paths...]', 'manifests with the current grants, to diff against', [])
      .addOption(
        new Option('-o, --output <format>', 'output format')
          .choices(['yaml', 'diff', 'json'])
          .default('yaml'),
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ palisade rbac suggest --audit-log /var/log/kubernetes/audit.log
  $ palisade rbac suggest --audit-log audit.jsonl --subject ServiceAccount:ops:ci-runner -o diff ./deploy`,
    )
    .action((paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runSuggest(paths, opts, io)),
    );

  common(
    rbac
      .command('sod')
      .description('segregation of duties: subjects holding both sides of a conflicting pair')
      .argument('[paths...]', 'manifest files or directories', [])
      .option('--rules <file>', 'YAML or JSON rule file (default: the built-in rules)')
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      ),
  )
    .addHelpText(
      'after',
      `${INPUT_NOTE}
Exit code 1 when a conflict is found.

Examples:
  $ palisade rbac sod .
  $ palisade rbac sod --rules sod.yaml k8s/ -o json`,
    )
    .action((paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runSod(paths, opts, io)),
    );

  rbac
    .command('diff')
    .description('who gained or lost which permissions between two sets of manifests')
    .argument('<base>', 'file or directory before the change')
    .argument('<head>', 'file or directory after the change')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--ignore-input-errors', 'report input errors but do not let them set exit code 2')
    .addHelpText(
      'after',
      `
Exit code 1 when permissions changed.

Examples:
  $ palisade rbac diff main/deploy pr/deploy
  $ palisade rbac diff old.yaml new.yaml -o json`,
    )
    .action((base: string, head: string, opts: Opts) =>
      run(async () => (await import('./rbac.js')).runDiff(base, head, opts, io)),
    );
}
