/**
 * Where the API server's command line is visible to a scan: a kube-apiserver pod (kubeadm's
 * static pod manifest, its mirror Pod in a live cluster or snapshot, labelled
 * `component: kube-apiserver` in kube-system, or any pod template whose container runs
 * `kube-apiserver`). Pure: reads the inventory only.
 */
import { containersOf, podTemplateOf, type Inventory, type Resource } from '../../core/index.js';

/** The API server's flags as one object shows them, with the field path of each. */
export interface ApiServerCommandLine {
  resource: Resource;
  /** Arguments after the binary, `--flag=value` or `--flag value`. */
  args: readonly string[];
  /** Field path of each argument (same index as `args`). */
  paths: readonly string[];
  /** Field path of the container, where a missing flag would be added. */
  containerPath: string;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Every kube-apiserver command line among the inventory's pod templates. */
export function apiServerCommandLines(inventory: Inventory): ApiServerCommandLine[] {
  const out: ApiServerCommandLine[] = [];
  for (const resource of inventory.resources) {
    const pod = podTemplateOf(resource.object);
    if (!pod) continue;
    for (const c of containersOf(pod)) {
      const command = strings(c.container['command']);
      const args = strings(c.container['args']);
      const binaryAt = command.findIndex((x) => x === 'kube-apiserver' || x.endsWith('/kube-apiserver'));
      const labelled =
        pod.metadata.labels?.['component'] === 'kube-apiserver' && c.container.name === 'kube-apiserver';
      if (binaryAt < 0 && !labelled) continue;
      const fromCommand = command
        .slice(binaryAt + 1)
        .map((a, i) => ({ a, p: `${c.path}.command[${binaryAt + 1 + i}]` }));
      const fromArgs = args.map((a, i) => ({ a, p: `${c.path}.args[${i}]` }));
      const all = [...fromCommand, ...fromArgs];
      out.push({ resource, args: all.map((x) => x.a), paths: all.map((x) => x.p), containerPath: c.path });
    }
  }
  return out;
}

/** The last value of a flag (`--x=v`, `--x v`; a bare `--x` is `true`), and its index. */
export function flagValue(
  args: readonly string[],
  flag: string,
): { value: string; index: number } | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i] ?? '';
    if (a.startsWith(`${flag}=`)) return { value: a.slice(flag.length + 1), index: i };
    if (a === flag) {
      const next = args[i + 1];
      return next !== undefined && !next.startsWith('--')
        ? { value: next, index: i }
        : { value: 'true', index: i };
    }
  }
  return undefined;
}

/**
 * A Go duration (`24h`, `1h30m`, `86400s`, `90m`) in seconds; undefined when it is not one.
 * Only the units API server flags use (h, m, s, ms) are read.
 */
export function durationSeconds(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
    at = re.lastIndex;
  }
  return text.length === 0 ? undefined : total;
}
