import type { Command } from 'commander';
import { addInventorySourceOptions } from './cluster-source.js';
import type { CliIO } from '../io.js';
import { addOutputOptions } from '../output.js';
import { PATHS_FORMATS, SUGGEST_FORMATS, TABLE_FORMATS } from './rbac-formats.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const INPUT_NOTE = `
Input: manifest files or directories (default: the current directory); - reads stdin.
The API server's built-in cluster-admin ClusterRole is assumed when the input lacks it.`;

const QUESTION_NOTE = `${INPUT_NOTE}
Without -n a question is cluster-wide: only ClusterRoleBindings answer it. who-can -A asks
"in any namespace" instead: RoleBindings answer for their own namespace, each grant says where.`;

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

  addOutputOptions(
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
        .option(
          '-A, --all-namespaces',
          'who can make the request in any namespace (a WHERE column says which)',
        )
        .option('--name <name>', 'name of the object')
        .option(
          '--api-group <group>',
          "API group of the resource, when ambiguous or not named by the input's CRDs and rules",
        ),
    ),
    TABLE_FORMATS,
  )
    .addHelpText(
      'after',
      `${QUESTION_NOTE}

Exit codes: 0 answered (even "nobody"), 2 usage or input error.

Examples:
  $ palisade rbac who-can get secrets -n checkout .
  $ palisade rbac who-can create pods -A .
  $ palisade rbac who-can create pods/exec -n prod k8s/ -o json
  $ palisade rbac who-can impersonate users --cluster
  $ palisade rbac who-can get /metrics .`,
    )
    .action((verb: string, resource: string, paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runWhoCan(verb, resource, paths, opts, io)),
    );

  addOutputOptions(
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
        .option('--api-group <group>', 'API group of the resource'),
    ),
    TABLE_FORMATS,
  )
    .addHelpText(
      'after',
      `${QUESTION_NOTE}
Implicit groups are added as the authenticators do: system:authenticated, and for a
ServiceAccount system:serviceaccounts and system:serviceaccounts:NS.

Exit codes: 0 allowed, 1 denied, 2 usage or input error.

Examples:
  $ palisade rbac can-i --as alice --as-group developers create deployments -n shop .
  $ palisade rbac can-i --as system:serviceaccount:ops:ci-runner '*' '*' .`,
    )
    .action((verb: string, resource: string, paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runCanI(verb, resource, paths, opts, io)),
    );

  addOutputOptions(
    common(
      rbac
        .command('list')
        .description("list a subject's effective rules, merged, with the bindings and roles that grant each")
        .argument(
          '<subject>',
          'User:NAME, Group:NAME, ServiceAccount:NS:NAME or system:serviceaccount:NS:NAME',
        )
        .argument('[paths...]', 'manifest files or directories', [])
        .option('--as-group <group>', 'extra group of the user (repeatable)', collect, [])
        .option('-n, --namespace <ns>', 'only the rules that apply in this namespace (and cluster-wide ones)')
        .option('-A, --all-namespaces', 'the rules of every namespace (the default without -n)'),
    ),
    TABLE_FORMATS,
  )
    .addHelpText(
      'after',
      `${INPUT_NOTE}

Exit codes: 0 done, 2 usage or input error.

Examples:
  $ palisade rbac list ServiceAccount:storefront:catalog-api .
  $ palisade rbac list Group:developers k8s/ -o json
  $ palisade rbac list User:alice -A --cluster --context prod`,
    )
    .action((subject: string, paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runList(subject, paths, opts, io)),
    );

  addOutputOptions(
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
        .option(
          '-n, --namespace <ns>',
          'only the paths that concern this namespace: from its ServiceAccounts, through its pods, Secrets, tokens or RoleBindings (and to its Secrets, added to the default targets)',
        )
        .option('-A, --all-namespaces', 'the paths of every namespace (the default without -n)'),
    ),
    PATHS_FORMATS,
  )
    .addHelpText(
      'after',
      `${INPUT_NOTE}
-n NS keeps the paths that concern NS and also looks for the way to its Secrets.
Exit codes: 0 no path, 1 a path is found, 2 usage or input error.

Examples:
  $ palisade rbac paths .
  $ palisade rbac paths --from Group:developers --to cluster-admin .
  $ palisade rbac paths --to secrets:checkout -o json .
  $ palisade rbac paths -n checkout .
  $ palisade rbac paths ./deploy -o html > rbac-paths.html`,
    )
    .action((paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runPaths(paths, opts, io)),
    );

  addOutputOptions(
    common(
      rbac
        .command('suggest')
        .description('minimal Roles and bindings that cover exactly the calls seen in an audit log')
        .requiredOption('--audit-log <file>', 'JSON lines of audit.k8s.io/v1 Events')
        .option('--subject <subject>', 'only this subject (repeatable)', collect, [])
        .option(
          '-n, --namespace <ns>',
          'only the calls made in this namespace: a Role and RoleBinding of it, compared with its RoleBindings',
        )
        .option('-A, --all-namespaces', 'every namespace and the cluster-wide calls (the default without -n)')
        .argument('[paths...]', 'manifests with the current grants, to diff against', []),
    ),
    SUGGEST_FORMATS,
  )
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 2 usage error or an audit log or manifest that cannot be read.

Examples:
  $ palisade rbac suggest --audit-log /var/log/kubernetes/audit.log
  $ palisade rbac suggest --audit-log audit.jsonl --subject ServiceAccount:ops:ci-runner -o diff ./deploy
  $ palisade rbac suggest --audit-log audit.jsonl -n checkout ./deploy`,
    )
    .action((paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runSuggest(paths, opts, io)),
    );

  addOutputOptions(
    common(
      rbac
        .command('sod')
        .description('segregation of duties: subjects holding both sides of a conflicting pair')
        .argument('[paths...]', 'manifest files or directories', [])
        .option('--rules <file>', 'YAML or JSON rule file (default: the built-in rules)')
        .option(
          '-n, --namespace <ns>',
          'conflicts within this namespace: both sides granted there (its RoleBindings, or cluster-wide)',
        )
        .option(
          '-A, --all-namespaces',
          'conflicts anywhere, one side in one namespace and the other in another (the default without -n)',
        ),
    ),
    TABLE_FORMATS,
  )
    .addHelpText(
      'after',
      `${INPUT_NOTE}
Without -n (or with -A), one side granted in one namespace and the other in another is a
conflict; -n NS asks whether both are granted within NS (its RoleBindings or cluster-wide).
Exit codes: 0 no conflict, 1 a conflict is found, 2 usage or input error.

Examples:
  $ palisade rbac sod .
  $ palisade rbac sod --rules sod.yaml k8s/ -o json
  $ palisade rbac sod -n checkout .`,
    )
    .action((paths: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runSod(paths, opts, io)),
    );

  addOutputOptions(
    addInventorySourceOptions(
      rbac
        .command('diff')
        .description('who gained or lost which permissions between two sets of manifests')
        .argument(
          '<sides...>',
          'BASE HEAD: files, directories or snapshots; HEAD alone with --cluster or --snapshot',
        ),
    ),
    TABLE_FORMATS,
  )
    .option('-q, --quiet', 'no status lines on stderr')
    .option('--ignore-input-errors', 'report input errors but do not let them set exit code 2')
    .option(
      '-n, --namespace <ns>',
      'only what applies in this namespace: its RoleBindings and cluster-wide grants',
    )
    .option('-A, --all-namespaces', 'changes in every namespace (the default without -n)')
    .addHelpText(
      'after',
      `
The base is the first argument, or the live cluster (--cluster) or a snapshot (--snapshot F)
when one argument is given. 
Exit codes: 0 no change, 1 permissions changed, 2 usage or input error.

Examples:
  $ palisade rbac diff main/deploy pr/deploy
  $ palisade rbac diff old.yaml new.yaml -o json
  $ palisade rbac diff old.yaml new.yaml -n checkout
  $ palisade rbac diff --snapshot before.json.gz deploy/
  $ palisade rbac diff --cluster --context prod deploy/ -o yaml=rbac-diff.yaml`,
    )
    .action((sides: string[], opts: Opts) =>
      run(async () => (await import('./rbac.js')).runDiff(sides, opts, io)),
    );
}
