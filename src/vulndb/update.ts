/**
 * `db update --from URL`: downloads an OSV export (an `all.zip` or a JSON file) with undici,
 * under connect, header and idle-body timeouts and a size cap, into a temporary file that is
 * imported and removed. A directory source is imported as it is.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { Agent, request } from 'undici';
import { InputError } from '../core/index.js';

/** Limits of a download. */
export interface DownloadOptions {
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** Longest pause between two chunks of the body. */
  bodyTimeoutMs?: number;
  maxBytes?: number;
}

/** Whether a `--from` value is an http(s) URL rather than a path. */
export function isUrl(from: string): boolean {
  return /^https?:\/\//i.test(from);
}

/** Downloads a URL to a new temporary file; returns it and a cleanup function. Errors are InputErrors. */
export async function downloadToTemp(
  url: string,
  options: DownloadOptions = {},
): Promise<{ file: string; cleanup: () => Promise<void> }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`${url}: not a valid URL`);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'palisade-vulndb-'));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const name = path.basename(parsed.pathname) || 'download';
  const file = path.join(dir, /\.(zip|json)$/i.test(name) ? name : `${name}.download`);
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024 * 1024;
  const agent = new Agent({ connect: { timeout: options.connectTimeoutMs ?? 10_000 } });
  // Credentials in the URL are never echoed back in messages.
  const shown = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  try {
    const res = await request(parsed, {
      dispatcher: agent,
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      bodyTimeout: options.bodyTimeoutMs ?? 60_000,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new InputError(`${shown}: HTTP ${res.statusCode}; expected 200 with an OSV all.zip or JSON file`);
    }
    let size = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes)
          done(new InputError(`${shown}: larger than ${maxBytes} bytes; download stopped`));
        else done(null, chunk);
      },
    });
    await pipeline(res.body, cap, createWriteStream(file));
    return { file, cleanup };
  } catch (e) {
    await cleanup();
    if (e instanceof InputError) throw e;
    throw new InputError(`${shown}: download failed (${(e as Error).message})`);
  } finally {
    await agent.close();
  }
}
