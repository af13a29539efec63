import type { Finding, Inventory } from '../core/index.js';
import { networkFindings, type NetworkFindingOptions } from './findings.js';
import { Analysis, type AnalysisOptions } from './engine.js';
import { buildModel } from './model.js';
import { ipBlocksMatchPods } from './pod-ips.js';
import { compilePolicies, type PolicyIssue } from './policy.js';

/** An analysis of one inventory plus the policy problems found while compiling. */
export interface InventoryAnalysis {
  analysis: Analysis;
  issues: PolicyIssue[];
}

/** Options of an inventory analysis. */
export interface InventoryAnalysisOptions extends AnalysisOptions {
  /** ipBlocks also select the pods whose IPs (from status) they cover (`--ipblock-matches-pods`). */
  ipBlockMatchesPods?: boolean;
}

/** Indexes an inventory's pods and compiles its NetworkPolicies into an analysis (pure). */
export function analyzeInventory(
  inventory: Inventory,
  options: InventoryAnalysisOptions = {},
): InventoryAnalysis {
  const { ipBlockMatchesPods, ...analysisOptions } = options;
  const compiled = compilePolicies(inventory.resources);
  const { inventory: inv, policies } = ipBlockMatchesPods
    ? ipBlocksMatchPods(inventory, compiled.policies)
    : { inventory, policies: compiled.policies };
  return { analysis: new Analysis(buildModel(inv), policies, analysisOptions), issues: compiled.issues };
}

/** The segmentation findings (issue 8, item 3) of an inventory, at workload granularity (pure). */
export function networkFindingsOf(inventory: Inventory, options: NetworkFindingOptions = {}): Finding[] {
  return networkFindings(analyzeInventory(inventory).analysis, options);
}
