import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { memoryIO } from '../io.js';

describe('palisade scan: live-cluster option checks', () => {
  it.each([
    [['scan', '--cluster', '--snapshot', 'x.gz'], '--cluster and --snapshot cannot be used together'],
    [['scan', '--cluster', 'deploy/'], 'paths cannot be given with --cluster (got deploy/)'],
    [['scan', '--snapshot', 'x.gz', 'deploy/'], 'paths cannot be given with --snapshot (got deploy/)'],
    [['scan', '--context', 'prod', 'deploy/'], '--context only apply with --cluster'],
    [['scan', '-A'], '-A/--all-namespaces only apply with --cluster'],
    [
      ['scan', '--cluster', '-A', '-n', 'shop'],
      '-n/--namespace and -A/--all-namespaces cannot be used together',
    ],
    [
      ['scan', '--cluster', '--kubeconfig', '/nonexistent/kubeconfig'],
      'cannot read kubeconfig /nonexistent/kubeconfig',
    ],
    [['scan', '--snapshot', '/nonexistent/x.gz'], '/nonexistent/x.gz: cannot read'],
  ])('%j is refused with exit 2', async (args, message) => {
    const io = memoryIO({ cwd: '/' });
    expect(await main(args, io)).toBe(2);
    expect(io.err()).toContain(message);
  });

  it('documents the cluster options in scan --help', async () => {
    const io = memoryIO({ cwd: '/' });
    expect(await main(['scan', '--help'], io)).toBe(0);
    for (const s of [
      '--cluster',
      '--context <name>',
      '--kubeconfig <file>',
      '-A, --all-namespaces',
      '--snapshot <file>',
      'palisade scan --cluster --context prod',
    ]) {
      expect(io.out()).toContain(s);
    }
  });

  it('has snapshot save with examples', async () => {
    const io = memoryIO({ cwd: '/' });
    expect(await main(['snapshot', 'save', '--help'], io)).toBe(0);
    expect(io.out()).toContain('palisade snapshot save prod.snapshot.json.gz');
  });
});
