/** The `--policy` part of `palisade scan`: load, compile and evaluate CEL policies on the inventory. */
import type { Finding, InputIssue, Inventory } from '../../core/index.js';
import { loadFiles } from '../../load/index.js';
import {
  compilePolicies,
  evaluatePoliciesOnInventory,
  policyControlId,
  type AuthorizerFn,
} from '../../policy/index.js';
import { buildRbacModel, checkAccess, type RbacModel } from '../../rbac/index.js';
import type { ReportControl } from '../../report/index.js';
import type { CliIO } from '../io.js';

/** What the policies added to a scan. */
export interface PolicyScanOutcome {
  findings: Finding[];
  inputErrors: InputIssue[];
  controls: ReportControl[];
}

/** Loads the policy files, compiles them (errors become input errors) and evaluates them. */
export async function scanWithPolicies(
  paths: readonly string[],
  inventory: Inventory,
  io: CliIO,
  options: { autogen?: boolean } = {},
): Promise<PolicyScanOutcome> {
  const loaded = await loadFiles(paths, { cwd: io.cwd, readStdin: () => io.readStdin() });
  const inputErrors: InputIssue[] = [...loaded.inputErrors];
  const { set, errors } = compilePolicies(loaded.inventory.resources, {
    params: inventory.resources.map((r) => r.object),
  });
  for (const e of errors) {
    const issue: InputIssue = {
      file: e.file ?? '<policy>',
      message: `${e.kind} ${e.policy}: ${e.path}: ${e.message}`,
    };
    if (e.line !== undefined) issue.line = e.line;
    if (e.column !== undefined) issue.column = e.column;
    inputErrors.push(issue);
  }
  const result = evaluatePoliciesOnInventory(set, inventory, {
    autogen: options.autogen ?? true,
    // In a scan the request's user is palisade-scan: authorizer.serviceAccount(ns, name) checks
    // are the ones the scanned RBAC objects answer usefully.
    authorizer: rbacAuthorizer(() => buildRbacModel(inventory)),
  });
  for (const e of result.ignoredErrors) {
    io.stderr.write(
      `palisade: policy ${e.policy} could not be evaluated on ${e.resource.ref.kind} ${e.resource.ref.name} (failurePolicy Ignore): ${e.message}\n`,
    );
  }
  const controls: ReportControl[] = [];
  for (const p of set.validating) {
    const annotations = p.resource?.object.metadata?.annotations ?? {};
    const ids = [
      policyControlId({ policy: p.name }),
      ...p.validations.map((_v, i) => policyControlId({ policy: p.name, validationIndex: i })),
    ];
    for (const id of ids)
      controls.push({
        id,
        title: annotations['palisade.dev/title'] ?? `CEL policy ${p.name}`,
        severity: p.severity,
        rationale: annotations['palisade.dev/rationale'] ?? '',
        remediation:
          annotations['palisade.dev/remediation'] ?? `Change the object so that policy ${p.name} holds.`,
        frameworks: [],
      });
  }
  return { findings: result.findings, inputErrors, controls };
}

/**
 * Answers the policies' `authorizer` checks as the API server's RBAC authorizer would, from an
 * RBAC model built on the first check (scans that never ask build none). Built-in bindings of a
 * real cluster are not assumed: only the given objects (and the cluster-admin role) count.
 */
export function rbacAuthorizer(build: () => RbacModel): AuthorizerFn {
  let model: RbacModel | undefined;
  return (attrs) => {
    if (attrs.user === undefined) return { decision: 'noOpinion', reason: 'the request names no user' };
    model ??= build();
    return checkAccess(model, { name: attrs.user, groups: attrs.groups ?? [] }, attrs);
  };
}
