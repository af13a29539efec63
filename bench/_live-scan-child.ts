/**
 * Child process of bench/live-scan.ts, so each measurement has its own peak RSS:
 * `scan KUBECONFIG` runs the real `palisade scan --cluster`; `list KUBECONFIG TYPES_JSON` lists
 * the same types with bare @kubernetes/client-node (KubernetesObjectApi.list, paged, same
 * concurrency). Prints one JSON line: seconds, objects, peak RSS in MiB.
 */
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { main } from '../src/cli/main.js';
import { memoryIO } from '../src/cli/io.js';

const [mode, kubeconfig, typesJson] = process.argv.slice(2);
if (kubeconfig === undefined) throw new Error('usage: _live-scan-child scan|list KUBECONFIG [TYPES_JSON]');

const start = performance.now();
let objects = 0;
if (mode === 'scan') {
  const io = memoryIO({ cwd: process.cwd() });
  const code = await main(
    ['scan', '--cluster', '--kubeconfig', kubeconfig, '-o', 'json', '--fail-on', 'none', '-q'],
    io,
  );
  if (code !== 0) throw new Error(`scan exited ${code}: ${io.err()}`);
  objects = (JSON.parse(io.out()) as { summary: { resources: number } }).summary.resources;
} else {
  const types = JSON.parse(typesJson ?? '[]') as { apiVersion: string; kind: string }[];
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = KubernetesObjectApi.makeApiClient(kc);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < types.length) {
      const t = types[next++];
      if (!t) break;
      let token: string | undefined;
      do {
        const page = await api.list(
          t.apiVersion,
          t.kind,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          500,
          token,
        );
        objects += page.items.length;
        token = page.metadata?._continue;
      } while (token);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
const seconds = (performance.now() - start) / 1000;
process.stdout.write(
  `${JSON.stringify({ seconds, objects, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
);
