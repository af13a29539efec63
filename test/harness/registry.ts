import { existsSync } from 'node:fs';
import { it } from 'vitest';
import { REGISTRY_BIN } from './registry-server.js';
import { inCI } from './status.js';

export * from './registry-server.js';

/** Whether the real registry and skopeo are here, and why not. */
export function requireRegistryOrSkip(): { run: boolean; reason?: string } {
  const missing = [REGISTRY_BIN, '/usr/bin/skopeo'].filter((b) => !existsSync(b));
  if (missing.length === 0) return { run: true };
  const reason = `registry tests need ${missing.join(' and ')} (Debian packages docker-registry, skopeo)`;
  if (inCI()) {
    it('has docker-registry and skopeo (required under CI=true)', () => {
      throw new Error(reason);
    });
  }
  return { run: false, reason };
}
