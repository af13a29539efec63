import type { Finding, Inventory } from '../core/index.js';
import { networkFindings, type NetworkFindingOptions } from './findings.js';
import { Analysis, type AnalysisOptions } from './engine.js';
import { buildModel } from './model.js';
import { compilePolicies, type PolicyIssue } from './policy.js';

/** An analysis of one inventory plus the policy problems found while compiling. */
export interface InventoryAnalysis {
  analysis: Analysis;
  issues: PolicyIssue[];
}

/** Indexes an inventory's pods and compiles its NetworkPolicies into an analysis (pure). */
export function analyzeInventory(inventory: Inventory, options: AnalysisOptions = {}): InventoryAnalysis {
  const model = buildModel(inventory);
  const { policies, issues } = compilePolicies(inventory.resources);
  return { analysis: new Analysis(model, policies, options), issues };
}

/** The segmentation findings (issue 8, item 3) of an inventory, at workload granularity (pure). */
export function networkFindingsOf(inventory: Inventory, options: NetworkFindingOptions = {}): Finding[] {
  return networkFindings(analyzeInventory(inventory).analysis, options);
}
