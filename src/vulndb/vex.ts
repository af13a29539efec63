/**
 * VEX documents in: OpenVEX (https://openvex.dev) and CycloneDX VEX (`vulnerabilities[]` with
 * `analysis` and `affects`). Both are read into the same statements; `not_affected` (and
 * CycloneDX's `false_positive`) suppress a finding, which stays in the output as suppressed
 * with its justification.
 */
import { err, ok, type Result } from '../core/index.js';

/** A VEX status, in OpenVEX's words. */
export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

/** One statement: this vulnerability has this status in these products. */
export interface VexStatement {
  vulnerability: string;
  aliases: string[];
  /** Package URLs (or other product ids) the statement covers; subcomponents included. */
  products: string[];
  status: VexStatus;
  justification?: string;
  detail?: string;
  timestamp?: string;
  /** Where the statement came from: file and position. */
  source: string;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function s(x: unknown): string | undefined {
  return typeof x === 'string' && x !== '' ? x : undefined;
}

const OPENVEX_STATUSES = new Set<string>(['not_affected', 'affected', 'fixed', 'under_investigation']);

function productIds(x: unknown): string[] {
  if (!Array.isArray(x)) return [];
  const out: string[] = [];
  for (const p of x) {
    if (typeof p === 'string') out.push(p);
    else if (isObject(p)) {
      const id = s(p['@id']);
      if (id !== undefined) out.push(id);
      const purl = isObject(p.identifiers) ? s(p.identifiers.purl) : undefined;
      if (purl !== undefined) out.push(purl);
      out.push(...productIds(p.subcomponents));
    }
  }
  return out;
}

function readOpenVex(doc: Record<string, unknown>, source: string): Result<VexStatement[], string> {
  if (!Array.isArray(doc.statements)) return err(`${source}: OpenVEX document without statements[]`);
  const docTime = s(doc.timestamp);
  const out: VexStatement[] = [];
  for (const [i, st] of doc.statements.entries()) {
    const where = `${source}: statements[${i}]`;
    if (!isObject(st)) return err(`${where}: expected an object`);
    const v = st.vulnerability;
    const name = typeof v === 'string' ? v : isObject(v) ? (s(v.name) ?? s(v['@id'])) : undefined;
    if (name === undefined) return err(`${where}.vulnerability: missing name`);
    const aliases =
      isObject(v) && Array.isArray(v.aliases) ? v.aliases.filter((a) => typeof a === 'string') : [];
    const status = s(st.status);
    if (status === undefined || !OPENVEX_STATUSES.has(status)) return err(`${where}.status: unknown status`);
    const products = productIds(st.products);
    if (products.length === 0) return err(`${where}.products: no product`);
    const justification = s(st.justification);
    const detail = s(st.impact_statement) ?? s(st.status_notes);
    const timestamp = s(st.timestamp) ?? docTime;
    out.push({
      vulnerability: name,
      aliases,
      products,
      status: status as VexStatus,
      ...(justification !== undefined ? { justification } : {}),
      ...(detail !== undefined ? { detail } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
      source: `${source}#statements[${i}]`,
    });
  }
  return ok(out);
}

const CDX_STATES: Readonly<Record<string, VexStatus>> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

function cdxRefs(doc: Record<string, unknown>): Map<string, string> {
  const refs = new Map<string, string>();
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const c of list) {
      if (!isObject(c)) continue;
      const ref = s(c['bom-ref']);
      const purl = s(c.purl);
      if (ref !== undefined && purl !== undefined) refs.set(ref, purl);
      walk(c.components);
    }
  };
  walk(doc.components);
  if (isObject(doc.metadata) && isObject(doc.metadata.component)) walk([doc.metadata.component]);
  return refs;
}

function readCycloneDx(doc: Record<string, unknown>, source: string): Result<VexStatement[], string> {
  if (!Array.isArray(doc.vulnerabilities))
    return err(`${source}: CycloneDX document without vulnerabilities[]`);
  const refs = cdxRefs(doc);
  const out: VexStatement[] = [];
  for (const [i, v] of doc.vulnerabilities.entries()) {
    const where = `${source}: vulnerabilities[${i}]`;
    if (!isObject(v)) return err(`${where}: expected an object`);
    const id = s(v.id);
    if (id === undefined) return err(`${where}.id: missing`);
    if (!isObject(v.analysis)) continue; // a vulnerability without analysis states nothing
    const state = s(v.analysis.state);
    const status = state === undefined ? undefined : CDX_STATES[state];
    if (status === undefined) return err(`${where}.analysis.state: unknown state`);
    const products: string[] = [];
    if (Array.isArray(v.affects)) {
      for (const a of v.affects) {
        const ref = isObject(a) ? s(a.ref) : undefined;
        if (ref !== undefined) products.push(refs.get(ref) ?? ref);
      }
    }
    if (products.length === 0) return err(`${where}.affects: no reference`);
    const aliases: string[] = [];
    if (Array.isArray(v.references)) {
      for (const r of v.references) if (isObject(r) && s(r.id) !== undefined) aliases.push(String(r.id));
    }
    const justification =
      s(v.analysis.justification) ?? (state === 'false_positive' ? 'false_positive' : undefined);
    const detail = s(v.analysis.detail);
    const timestamp = s(v.analysis.lastUpdated) ?? s(v.analysis.firstIssued);
    out.push({
      vulnerability: id,
      aliases,
      products,
      status,
      ...(justification !== undefined ? { justification } : {}),
      ...(detail !== undefined ? { detail } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
      source: `${source}#vulnerabilities[${i}]`,
    });
  }
  return ok(out);
}

/** Reads an OpenVEX or CycloneDX VEX document (already parsed JSON); `source` names it in errors. */
export function parseVexDocument(json: unknown, source: string): Result<VexStatement[], string> {
  if (!isObject(json)) return err(`${source}: a VEX document must be a JSON object`);
  const context = json['@context'];
  if (typeof context === 'string' && context.includes('openvex')) return readOpenVex(json, source);
  if (json.bomFormat === 'CycloneDX') return readCycloneDx(json, source);
  return err(`${source}: neither OpenVEX (@context openvex) nor CycloneDX (bomFormat) VEX`);
}

/** The statement that decides for a vulnerability (any of `ids`) in a package: the latest that names both. */
export function vexStatementFor(
  statements: readonly VexStatement[],
  ids: readonly string[],
  covers: (product: string) => boolean,
): VexStatement | undefined {
  let best: VexStatement | undefined;
  for (const st of statements) {
    if (!ids.includes(st.vulnerability) && !st.aliases.some((a) => ids.includes(a))) continue;
    if (!st.products.some(covers)) continue;
    if (best === undefined || (st.timestamp ?? '') >= (best.timestamp ?? '')) best = st;
  }
  return best;
}
