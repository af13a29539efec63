/**
 * One cycle of `palisade registry watch`: for each watched repository, list its tags (or take
 * the one tag named), resolve each to a digest, and scan every digest the verdict store has no
 * good scan of, once. Results go to the verdict store, where image admission reads them, so
 * images pushed to a watched repository have an answer before their first Pod.
 */
import { formatImageReference, parseImageReference } from './reference.js';
import type { GateJobPorts } from './gate-job.js';
import type { GateFinding } from './gate.js';
import type { VerdictStore } from './verdict-store.js';

/** The registry I/O a cycle needs. */
export interface WatchPorts extends Pick<GateJobPorts, 'resolve' | 'scan'> {
  /** Tags of `registry/repository`. */
  listTags(repository: string): Promise<string[]>;
}

/** What happened to one tag in a cycle. */
export interface WatchResult {
  ref: string;
  digest?: string;
  outcome: 'scanned' | 'known' | 'failed';
  packages?: number;
  findings?: GateFinding[];
  message?: string;
}

/** Runs one cycle over `repositories` (`registry/repo` or `registry/repo:tag`); per-tag failures are results, not throws. */
export async function watchCycle(
  repositories: readonly string[],
  ports: WatchPorts,
  store: VerdictStore,
  options: { clock?: () => Date; onResult?: (r: WatchResult) => void; maxTags?: number } = {},
): Promise<WatchResult[]> {
  const clock = options.clock ?? (() => new Date());
  const results: WatchResult[] = [];
  const emit = (r: WatchResult): void => {
    results.push(r);
    options.onResult?.(r);
  };
  const scannedNow = new Set<string>();
  for (const text of repositories) {
    let tags: string[];
    let base: string;
    try {
      const ref = parseImageReference(text);
      base = `${ref.registry}/${ref.repository}`;
      const explicit = text.slice(text.lastIndexOf('/')).includes(':');
      tags = explicit && ref.tag !== undefined ? [ref.tag] : await ports.listTags(base);
    } catch (e) {
      emit({ ref: text, outcome: 'failed', message: errorText(e) });
      continue;
    }
    for (const tag of tags.slice(0, options.maxTags ?? 1000)) {
      const ref = formatImageReference({ ...parseImageReference(base), tag });
      try {
        const digest = await ports.resolve(ref);
        store.putTag(ref, digest, clock().toISOString());
        const known = store.scanOf(digest);
        if ((known && known.error === undefined) || scannedNow.has(digest)) {
          emit({ ref, digest, outcome: 'known' });
          continue;
        }
        scannedNow.add(digest);
        try {
          const r = await ports.scan(ref, digest);
          store.putScan({ digest, ref, scannedAt: clock().toISOString(), ...r });
          emit({ ref, digest, outcome: 'scanned', packages: r.packages, findings: r.findings });
        } catch (e) {
          store.putScan({
            digest,
            ref,
            scannedAt: clock().toISOString(),
            packages: 0,
            findings: [],
            error: errorText(e),
          });
          emit({ ref, digest, outcome: 'failed', message: errorText(e) });
        }
      } catch (e) {
        emit({ ref, outcome: 'failed', message: errorText(e) });
      }
    }
  }
  return results;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
