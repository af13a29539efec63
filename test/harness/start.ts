/**
 * `npm run harness:start`: starts a test cluster, prints how to reach it, and stops it on
 * Ctrl-C (SIGINT) or SIGTERM. Extra arguments are passed to kube-apiserver as flags.
 */
// Not ./index.js: that also exports the vitest gate, which only loads inside vitest.
import { startCluster } from './cluster.js';

const cluster = await startCluster({ extraFlags: process.argv.slice(2) });
process.stdout.write(
  [
    `kube-apiserver ready at ${cluster.server}`,
    `  export KUBECONFIG=${cluster.kubeconfig}   # contexts: admin (current), limited`,
    `  audit log: ${cluster.auditLogPath}`,
    `  server log: ${cluster.logPath}`,
    'Press Ctrl-C to stop.',
    '',
  ].join('\n'),
);
const stop = (): void => {
  void cluster.stop().then(() => {
    process.stdout.write('stopped\n');
    process.exit(0);
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
