/**
 * The scan configuration file (`--config palisade.yaml`):
 *
 * ```yaml
 * apiVersion: palisade.dev/v1
 * kind: Config
 * kubernetesVersion: v1.31.2          # target version for cluster/* controls (manifest scans)
 * settings:                           # per-control settings, keyed by control id
 *   workload/allowed-registries:
 *     allowedRegistries: ["registry.example.com/*", "ghcr.io/acme/*"]
 * ```
 */
import { z } from 'zod';
import { err, ok, type Result } from '../core/index.js';

const configSchema = z
  .object({
    apiVersion: z.literal('palisade.dev/v1'),
    kind: z.literal('Config'),
    metadata: z.record(z.string(), z.unknown()).optional(),
    kubernetesVersion: z
      .string()
      .regex(/^v?1\.\d+(\.\d+)?([-+].*)?$/, 'kubernetesVersion must look like v1.31 or v1.31.2')
      .optional(),
    settings: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .strict();

/** A validated configuration. */
export type ScanConfig = z.infer<typeof configSchema>;

/** Validates a parsed configuration document; every problem comes with its field path. */
export function parseScanConfig(doc: unknown): Result<ScanConfig, { path: string; message: string }[]> {
  const parsed = configSchema.safeParse(doc);
  if (parsed.success) return ok(parsed.data);
  return err(
    parsed.error.issues.map((i) => ({
      path: i.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, ''),
      message: i.message,
    })),
  );
}

/** Returns the ids in `settings` that name no known control (likely typos). */
export function unknownSettingIds(config: ScanConfig, knownIds: ReadonlySet<string>): string[] {
  return Object.keys(config.settings ?? {}).filter((id) => !knownIds.has(id));
}
