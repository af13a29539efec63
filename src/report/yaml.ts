import { stringify } from 'yaml';
import { toContractObject } from './contract.js';
import type { ScanReport } from './model.js';

/** Renders the same data as the JSON contract as one YAML document. */
export function renderYaml(report: ScanReport): string {
  // Shared objects (a framework list reused by findings) must not become anchors and aliases:
  // consumers read this with any YAML library, and the data is a tree.
  return stringify(toContractObject(report), { aliasDuplicateObjects: false, lineWidth: 0 });
}
