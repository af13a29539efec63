import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';
import { REQUEST_TIMEOUT_HELP } from './cluster-options.js';

const SERVE_HELP = `
Runs the validating and mutating webhook over HTTPS: POST /validate and /mutate, GET /healthz,
/readyz and /metrics. Flags override the configuration file. The certificate files are
re-read when they change. Stops cleanly on SIGTERM or SIGINT.

Exit codes: 0 stopped by SIGTERM or SIGINT, 2 usage error or a configuration, certificate or
listen address that cannot be used.

Examples:
  $ palisade admission serve --config admission.yaml
  $ palisade admission serve --tls-cert-file tls.crt --tls-key-file tls.key --enforce cis --listen 127.0.0.1:8443
  $ palisade admission serve --config admission.yaml --client-ca-file apiserver-client-ca.crt`;

const INSTALL_HELP = `
Prints the objects that run the webhook in a cluster: Namespace, ServiceAccount, ConfigMap,
TLS Secret, Deployment (2 replicas), PodDisruptionBudget, Service and the Validating- and
MutatingWebhookConfiguration. Without certificate files a new CA and serving certificate
are generated for the Service's DNS names. --apply creates or replaces them in the cluster.
--webhook-url points both webhook configurations at a webhook running outside the cluster
(local development, tests) and emits only those two objects; --ca-file is its CA.

Exit codes: 0 done, 2 usage or input error (an unreadable certificate or configuration, a
cluster that refuses --apply).

Examples:
  $ palisade admission install | kubectl apply -f -
  $ palisade admission install --namespace security --service webhook --validate-failure-policy Fail
  $ palisade admission install --ca-file ca.crt --tls-cert-file tls.crt --tls-key-file tls.key --config admission.yaml
  $ palisade admission install --skip-certificates -o json
  $ palisade admission install --apply --context prod --validate-failure-policy Fail
  $ palisade admission install --apply --webhook-url https://127.0.0.1:8443 --ca-file certs/ca.crt`;

const CERT_HELP = `
Creates a CA and a serving certificate for the webhook Service's DNS names
(SERVICE, SERVICE.NAMESPACE, SERVICE.NAMESPACE.svc, SERVICE.NAMESPACE.svc.CLUSTER_DOMAIN),
written as ca.crt, ca.key, tls.crt and tls.key (ECDSA P-256). With --client-cn also a client
certificate for the API server (client.crt, client.key).

Exit codes: 0 written, 2 usage error or files that exist (without --force) or cannot be written.

Examples:
  $ palisade admission cert --namespace palisade-system --service palisade --out-dir ./certs
  $ palisade admission cert --extra-name 127.0.0.1 --extra-name localhost --days 30
  $ palisade admission cert --client-cn kube-apiserver --force`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `palisade admission serve|install|cert`; implementations load on first use. */
export function registerAdmissionCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const admission = program
    .command('admission')
    .description('admission control: run, install and certify the webhook');

  admission
    .command('serve')
    .description('run the admission webhook server')
    .option('--config <file>', 'admission.yaml (kind: AdmissionConfiguration)')
    .option('--listen <host:port>', 'address to listen on (default 0.0.0.0:8443)')
    .option('--tls-cert-file <file>', 'serving certificate (PEM)')
    .option('--tls-key-file <file>', 'serving key (PEM)')
    .option('--client-ca-file <file>', 'require API server client certificates signed by this CA')
    .option('--enforce <set>', 'cluster-wide enforce level, e.g. cis, pss:baseline, all')
    .option('--warn <set>', 'cluster-wide warn level')
    .option('--audit <set>', 'cluster-wide audit level')
    .option('--policy <file-or-dir>', 'CEL policies to load (repeatable)', collect, [])
    .option('--max-body-bytes <n>', 'largest request body accepted')
    .option('--decision-log <file>', 'append non-allow decisions to this JSON-lines file')
    .option(
      '--db <path-or-url>',
      'also record non-allow decisions in the history store: a SQLite file or postgres://… URL (or $PALISADE_DB)',
    )
    .option('--cluster-name <name>', 'the cluster name decisions are recorded under in the store')
    .option(
      '--kubeconfig <file>',
      'cluster whose Namespace labels select the modes (default: $KUBECONFIG, ~/.kube/config or the pod service account)',
    )
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option(
      '--namespace-source <source>',
      'auto (watch the cluster when one is configured), cluster or config',
    )
    .option('--threads <n>', 'evaluation worker threads (default: one per CPU but one)')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent'])
        .default('info'),
    )
    .addHelpText('after', SERVE_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { runAdmissionServe } = await import('./admission.js');
      setExit(await runAdmissionServe(opts, io));
    });

  admission
    .command('install')
    .description('print the manifests that install the webhook')
    .option('-n, --namespace <ns>', 'namespace to run in', 'palisade-system')
    .option('--service <name>', 'Service (and Deployment) name', 'palisade')
    .option('--image <ref>', 'container image (default the palisade image of this version)')
    .option('--replicas <n>', 'replicas', '2')
    .option('--config <file>', 'admission.yaml to put in the ConfigMap')
    .addOption(
      new Option('--validate-failure-policy <policy>', 'when the webhook cannot be reached, validation')
        .choices(['Ignore', 'Fail'])
        .default('Ignore'),
    )
    .addOption(
      new Option('--mutate-failure-policy <policy>', 'when the webhook cannot be reached, mutation')
        .choices(['Ignore', 'Fail'])
        .default('Ignore'),
    )
    .option('--ca-file <file>', 'CA certificate for the caBundle')
    .option('--tls-cert-file <file>', 'serving certificate for the Secret')
    .option('--tls-key-file <file>', 'serving key for the Secret')
    .option('--skip-certificates', 'emit no Secret and no caBundle (bring your own, e.g. cert-manager)')
    .option('--all-resources', 'send every resource to the webhook, not only workloads')
    .option('--apply', 'create or replace the objects in the cluster instead of printing them')
    .option('--kubeconfig <file>', 'kubeconfig for --apply (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context for --apply (default: the current context)')
    .option('--request-timeout <duration>', REQUEST_TIMEOUT_HELP)
    .option(
      '--webhook-url <url>',
      'webhook running outside the cluster (https://127.0.0.1:8443): clientConfig.url, only the webhook configurations',
    )
    .option(
      '-o, --output <format[=file]>',
      'yaml (default) or json, repeatable; FORMAT=FILE writes to a file',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--output-file <file>', 'write the manifests to FILE instead of stdout')
    .addHelpText('after', INSTALL_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { runAdmissionInstall } = await import('./admission.js');
      setExit(await runAdmissionInstall(opts, io));
    });

  admission
    .command('cert')
    .description('create a CA and the webhook serving certificate')
    .option('-n, --namespace <ns>', 'namespace of the webhook Service', 'palisade-system')
    .option('--service <name>', 'webhook Service name', 'palisade')
    .option('--cluster-domain <domain>', 'cluster DNS domain', 'cluster.local')
    .option('--extra-name <name>', 'additional DNS name or IP address (repeatable)', collect, [])
    .option('--days <n>', 'validity in days', '365')
    .option('--client-cn <name>', 'also issue a client certificate with this common name')
    .option('--out-dir <dir>', 'where to write the files', '.')
    .option('--force', 'overwrite existing files')
    .addHelpText('after', CERT_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { runAdmissionCert } = await import('./admission.js');
      setExit(await runAdmissionCert(opts, io));
    });
}
