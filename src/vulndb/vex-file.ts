/** Reading VEX documents from files (the adapter around {@link parseVexDocument}). */
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../core/index.js';
import { parseVexDocument, type VexStatement } from './vex.js';

const MAX_VEX_BYTES = 64 * 1024 * 1024;

/** Reads one OpenVEX or CycloneDX VEX file; an unreadable or invalid file is an InputError naming it. */
export async function readVexFile(file: string): Promise<VexStatement[]> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.size > MAX_VEX_BYTES) throw new InputError(`${file}: VEX file larger than ${MAX_VEX_BYTES} bytes`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: cannot read the VEX file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not JSON (${(e as Error).message})`);
  }
  const r = parseVexDocument(json, file);
  if (!r.ok) throw new InputError(r.error);
  return r.value;
}
