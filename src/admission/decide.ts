/**
 * decide(review, config) -> AdmissionReview answer. Pure: no clock, no I/O, no globals.
 *
 * - Built-in controls run on `request.object` for CREATE and UPDATE of a main resource and
 *   of `pods/ephemeralcontainers`, in the modes the request's namespace selects (labels
 *   `palisade.dev/enforce|warn|audit` and `-version`, else the cluster defaults). Enforce
 *   denies, warn adds warnings, audit adds audit annotations. Controls that look at a whole
 *   inventory are not run: one object is not a cluster.
 * - An UPDATE that changes nothing but metadata other than annotations, or only `status`,
 *   is not checked by built-in controls (an object stored before a stricter level was set
 *   can still get labels, finalizers and status updates).
 * - CEL policies see every request (DELETE, CONNECT and subresources included); their
 *   binding decides Deny, Warn or Audit, and their failurePolicy decides what an error does.
 * - Exempt usernames, namespaces and runtime classes skip evaluation entirely.
 */
import {
  Inventory,
  podTemplateOf,
  refOf,
  type CatalogEntry,
  type Control,
  type Resource,
  type Severity,
} from '../core/index.js';
import { evaluateControls } from '../controls/index.js';
import {
  MODES,
  VERSION_PATTERN,
  type CompiledAdmissionConfig,
  type Mode,
  type ResolvedLevel,
} from './config.js';
import { judgeRequestImages } from './images.js';
import { parseAdmissionReview, reviewUid, type ReviewProblem } from './parse.js';
import type { PolicyDecision, PolicyError, PolicyEvaluation, PolicyPhase } from './ports.js';
import { MESSAGE_MAX_CHARS, auditAnnotationKey, limitWarnings, truncate } from './text.js';
import type {
  AdmissionAttributes,
  AdmissionResponse,
  AdmissionReviewResponse,
  AdmissionStatus,
} from './types.js';

/** Label prefix of the namespace modes. */
export const MODE_LABEL_PREFIX = 'palisade.dev/';

/** The namespace label that sets a mode's level, e.g. `palisade.dev/enforce`. */
export function modeLabel(mode: Mode): string {
  return `${MODE_LABEL_PREFIX}${mode}`;
}

/** One violated built-in control in one mode. */
export interface ControlViolation {
  controlId: string;
  severity: Severity;
  mode: Mode;
  /** `name:version` of the level that selected the control. */
  level: string;
  field: string;
  message: string;
}

/** An evaluation that failed, and what its failure policy made of it. */
export interface DecisionError {
  source: 'control' | 'policy';
  id: string;
  message: string;
  failurePolicy: 'Fail' | 'Ignore';
}

/** The overall outcome of one request, for logs and metrics. */
export type DecisionResult = 'allow' | 'deny' | 'warn' | 'audit' | 'exempt';

/** What was decided about one request, kept by the decision log. */
export interface DecisionRecord {
  uid: string;
  endpoint: PolicyPhase;
  operation: string;
  kind: string;
  /** `resource` or `resource/subResource`. */
  resource: string;
  namespace: string;
  name: string;
  username: string;
  dryRun: boolean;
  result: DecisionResult;
  exempt?: 'username' | 'namespace' | 'runtimeClass';
  violations: ControlViolation[];
  policyDecisions: PolicyDecision[];
  errors: DecisionError[];
  patched: boolean;
}

/** The outcome of `decide`: an answer, or a bad request with every problem. */
export type DecideResult =
  | { ok: true; review: AdmissionReviewResponse; record: DecisionRecord }
  | { ok: false; problems: ReviewProblem[]; uid?: string };

const MAX_LISTED = 50;

/** Decides one AdmissionReview (already JSON-decoded) for the validate or mutate endpoint. */
export function decide(
  body: unknown,
  config: CompiledAdmissionConfig,
  phase: PolicyPhase = 'validate',
): DecideResult {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) {
    const uid = reviewUid(body);
    return uid === undefined
      ? { ok: false, problems: parsed.problems }
      : { ok: false, problems: parsed.problems, uid };
  }
  const { apiVersion } = parsed.value;
  const attrs = parsed.value.attributes;
  const namespaceObject = attrs.namespace === '' ? undefined : config.namespaces(attrs.namespace);
  if (namespaceObject) attrs.namespaceObject = namespaceObject;

  const record: DecisionRecord = {
    uid: attrs.uid,
    endpoint: phase,
    operation: attrs.operation,
    kind: attrs.kind.kind,
    resource:
      attrs.subResource === '' ? attrs.resource.resource : `${attrs.resource.resource}/${attrs.subResource}`,
    namespace: attrs.namespace,
    name: objectName(attrs),
    username: attrs.userInfo.username,
    dryRun: attrs.dryRun,
    result: 'allow',
    violations: [],
    policyDecisions: [],
    errors: [],
    patched: false,
  };
  const answer = (response: Omit<AdmissionResponse, 'uid'>): DecideResult => ({
    ok: true,
    review: { apiVersion, kind: 'AdmissionReview', response: { uid: attrs.uid, ...response } },
    record,
  });

  const exempt = exemption(attrs, config);
  if (exempt) {
    record.exempt = exempt;
    record.result = 'exempt';
    return answer({ allowed: true, auditAnnotations: { exempt } });
  }

  const deny: string[] = [];
  const causes: NonNullable<AdmissionStatus['details']>['causes'] = [];
  const warnings: string[] = [];
  const audit: Record<string, string> = {};
  let statusCode = 403;
  let statusReason = 'Forbidden';

  if (phase === 'validate' && controlsApply(attrs)) {
    const { levels, labelIssues } = modeLevels(attrs, config);
    if (labelIssues.length > 0) {
      audit['namespace-label-errors'] = truncate(labelIssues.join('; '), 1024);
      for (const issue of labelIssues) warnings.push(`palisade: namespace ${attrs.namespace}: ${issue}`);
    }
    if (levels.enforce) audit['enforce-policy'] = `${levels.enforce.name}:${levels.enforce.version}`;
    const object = attrs.object;
    if (object && (attrs.operation === 'CREATE' || !sameSecurityFields(object, attrs.oldObject))) {
      try {
        evaluateLevels(attrs, levels, config, record);
      } catch (e) {
        // The engine itself failed on this object (not one control): fail or ignore as configured.
        record.errors.push({
          source: 'control',
          id: '(control engine)',
          message: e instanceof Error ? e.message : String(e),
          failurePolicy: levels.enforce ? config.failurePolicy : 'Ignore',
        });
      }
      const auditLines: string[] = [];
      for (const v of record.violations) {
        // Warn-mode violations are grouped below: no line of their own.
        if (v.mode === 'warn') continue;
        const line = `${v.controlId} (${v.field}): ${v.message}`;
        if (v.mode === 'enforce') {
          deny.push(line);
          if (causes.length < MAX_LISTED)
            causes.push({
              reason: 'FieldValueForbidden',
              message: `${v.controlId}: ${v.message}`,
              field: v.field,
            });
        } else auditLines.push(line);
      }
      warnings.push(...groupedWarnings(record.violations));
      if (auditLines.length > 0 && levels.audit)
        audit['audit-violations'] = truncate(
          `would violate "${levels.audit.name}:${levels.audit.version}": ${auditLines.join('; ')}`,
          4096,
        );
      for (const e of record.errors) {
        if (e.failurePolicy === 'Fail') deny.push(`control ${e.id} could not be evaluated: ${e.message}`);
      }
    }
  }

  if (phase === 'validate' && config.images !== undefined && controlsApply(attrs)) {
    const images = judgeRequestImages(attrs, config.images);
    for (const v of images.violations)
      record.violations.push({
        controlId: v.code,
        severity: 'high',
        mode: v.action === 'deny' ? 'enforce' : 'warn',
        level: 'images',
        field: v.field,
        message: v.message,
      });
    deny.push(...images.deny);
    warnings.push(...images.warnings);
    if (images.error !== undefined) {
      record.errors.push({
        source: 'control',
        id: '(image rules)',
        message: images.error,
        failurePolicy: config.failurePolicy,
      });
      if (config.failurePolicy === 'Fail') deny.push(`image rules could not be evaluated: ${images.error}`);
    }
  }

  const evaluation = evaluatePolicies(attrs, config, phase);
  record.policyDecisions = evaluation.decisions;
  const policyAudit: { policy: string; binding?: string; message: string }[] = [];
  let firstPolicyReason: string | undefined;
  for (const d of evaluation.decisions) {
    const label = d.binding ? `policy ${d.policy} (binding ${d.binding})` : `policy ${d.policy}`;
    if (d.action === 'Deny') {
      deny.push(`${label}: ${d.message}`);
      firstPolicyReason ??= d.reason;
    } else if (d.action === 'Warn') warnings.push(`${label}: ${d.message}`);
    else
      policyAudit.push(
        d.binding
          ? { policy: d.policy, binding: d.binding, message: d.message }
          : { policy: d.policy, message: d.message },
      );
  }
  if (policyAudit.length > 0) audit['policy-audit'] = truncate(JSON.stringify(policyAudit), 4096);
  for (const e of evaluation.errors) {
    record.errors.push({
      source: 'policy',
      id: e.policy,
      message: e.message,
      failurePolicy: e.failurePolicy,
    });
    if (e.failurePolicy === 'Fail') deny.push(`policy ${e.policy} could not be evaluated: ${e.message}`);
  }
  const ignored = record.errors.filter((e) => e.failurePolicy === 'Ignore');
  if (ignored.length > 0)
    audit['evaluation-errors-ignored'] = truncate(
      ignored.map((e) => `${e.source} ${e.id}: ${e.message}`).join('; '),
      4096,
    );
  for (const [k, v] of Object.entries(evaluation.auditAnnotations)) {
    if (typeof v === 'string') audit[auditAnnotationKey(k)] = truncate(v, 4096);
  }

  const response: Omit<AdmissionResponse, 'uid'> = { allowed: deny.length === 0 };
  if (deny.length > 0) {
    const onlyPolicies =
      record.violations.every((v) => v.mode !== 'enforce') && firstPolicyReason !== undefined;
    if (onlyPolicies && firstPolicyReason !== undefined) {
      const mapped = STATUS_BY_REASON[firstPolicyReason];
      if (mapped) {
        statusCode = mapped;
        statusReason = firstPolicyReason;
      }
    }
    response.status = {
      metadata: {},
      status: 'Failure',
      code: statusCode,
      reason: statusReason,
      message: denyMessage(attrs, deny),
      ...(causes.length > 0 ? { details: { causes } } : {}),
    };
  }
  if (warnings.length > 0) response.warnings = limitWarnings(warnings);
  if (Object.keys(audit).length > 0) response.auditAnnotations = audit;
  if (
    phase === 'mutate' &&
    response.allowed &&
    evaluation.patch &&
    evaluation.patch.length > 0 &&
    attrs.object
  ) {
    response.patch = Buffer.from(JSON.stringify(evaluation.patch)).toString('base64');
    response.patchType = 'JSONPatch';
    record.patched = true;
  }

  record.result = !response.allowed
    ? 'deny'
    : warnings.length > 0
      ? 'warn'
      : record.violations.length > 0 || policyAudit.length > 0
        ? 'audit'
        : 'allow';
  return answer(response);
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  info: 4,
};

/**
 * One warning per control and level, with how many places violate it: a pod with fourteen
 * containers gets one line per control, not fourteen cut lines. Controls that also deny the
 * request come first (the reason it failed), then by severity.
 */
function groupedWarnings(violations: readonly ControlViolation[]): string[] {
  const denying = new Set<string>();
  const groups = new Map<string, { first: ControlViolation; count: number }>();
  for (const v of violations) {
    if (v.mode === 'enforce') denying.add(v.controlId);
    if (v.mode !== 'warn') continue;
    const key = `${v.level}\u0000${v.controlId}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { first: v, count: 1 });
  }
  return [...groups.values()]
    .sort(
      (a, b) =>
        Number(denying.has(b.first.controlId)) - Number(denying.has(a.first.controlId)) ||
        SEVERITY_RANK[a.first.severity] - SEVERITY_RANK[b.first.severity] ||
        b.count - a.count,
    )
    .map(({ first, count }) => {
      const where = count > 1 ? `${count}× e.g. ${first.field}` : first.field;
      return `would violate "${first.level}": ${first.controlId} (${where}): ${first.message}`;
    });
}

const STATUS_BY_REASON: Readonly<Record<string, number>> = {
  Unauthorized: 401,
  Forbidden: 403,
  Invalid: 422,
  RequestEntityTooLarge: 413,
};

function denyMessage(attrs: AdmissionAttributes, lines: string[]): string {
  const ns = attrs.namespace !== '' ? `${attrs.namespace}/` : '';
  const name = objectName(attrs);
  const head = `palisade denied ${attrs.operation} of ${attrs.kind.kind} ${ns}${name}: `;
  const listed = lines.slice(0, MAX_LISTED);
  const more = lines.length > MAX_LISTED ? `; and ${lines.length - MAX_LISTED} more` : '';
  return truncate(head + listed.join('; ') + more, MESSAGE_MAX_CHARS);
}

/** The request's object name, or its generateName prefix; only strings count. */
function objectName(attrs: AdmissionAttributes): string {
  if (attrs.name !== '') return attrs.name;
  const meta = attrs.object?.metadata;
  if (typeof meta?.name === 'string') return meta.name;
  return typeof meta?.generateName === 'string' ? `${meta.generateName}*` : '';
}

function exemption(attrs: AdmissionAttributes, config: CompiledAdmissionConfig): DecisionRecord['exempt'] {
  const ex = config.exemptions;
  if (ex.usernames.has(attrs.userInfo.username)) return 'username';
  if (attrs.namespace !== '' && ex.namespaces.has(attrs.namespace)) return 'namespace';
  if (ex.runtimeClasses.size > 0 && attrs.object) {
    const rc = podTemplateOf(attrs.object)?.spec.runtimeClassName;
    if (typeof rc === 'string' && ex.runtimeClasses.has(rc)) return 'runtimeClass';
  }
  return undefined;
}

/** Built-in controls look at stored objects: the main resource and a pod's ephemeral containers. */
function controlsApply(attrs: AdmissionAttributes): boolean {
  if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return false;
  if (!attrs.object) return false;
  if (attrs.subResource === '') return true;
  return attrs.resource.resource === 'pods' && attrs.subResource === 'ephemeralcontainers';
}

/** The levels of each mode a namespace's labels select, and what is wrong with the labels. */
interface ModeLevels {
  readonly levels: Readonly<Partial<Record<Mode, ResolvedLevel>>>;
  readonly labelIssues: readonly string[];
}

/**
 * Mode levels by configuration and labels object: a namespace's labels are one object until
 * the namespace changes (the watch and the configuration's `namespaces:` keep the objects they
 * hand out), so each review of a namespace reuses them instead of reading six labels and
 * resolving three levels again. Namespaces without labels share one entry per configuration.
 */
const levelsCache = new WeakMap<CompiledAdmissionConfig, WeakMap<object, ModeLevels>>();
const NO_LABELS = {};

function modeLevels(attrs: AdmissionAttributes, config: CompiledAdmissionConfig): ModeLevels {
  const raw = attrs.namespaceObject?.metadata?.labels;
  const labels = raw !== null && typeof raw === 'object' ? raw : undefined;
  let byLabels = levelsCache.get(config);
  if (byLabels === undefined) levelsCache.set(config, (byLabels = new WeakMap()));
  const key = labels ?? NO_LABELS;
  let known = byLabels.get(key);
  if (known === undefined) byLabels.set(key, (known = resolveModeLevels(labels, config)));
  return known;
}

function resolveModeLevels(
  labels: Readonly<Record<string, unknown>> | undefined,
  config: CompiledAdmissionConfig,
): ModeLevels {
  const levels: Partial<Record<Mode, ResolvedLevel>> = {};
  const labelIssues: string[] = [];
  for (const mode of MODES) {
    const fallback = config.defaults[mode];
    const raw = labels?.[modeLabel(mode)];
    const rawVersion = labels?.[`${modeLabel(mode)}-version`];
    let version = fallback?.version ?? 'latest';
    if (typeof rawVersion === 'string') {
      if (VERSION_PATTERN.test(rawVersion)) version = rawVersion;
      else labelIssues.push(`${modeLabel(mode)}-version="${rawVersion}" is not latest or v1.N; using latest`);
    }
    if (typeof raw !== 'string') {
      if (fallback)
        levels[mode] =
          version === fallback.version
            ? fallback
            : (config.resolveLevel({ name: fallback.name, version }) ?? fallback);
      continue;
    }
    const resolved = config.resolveLevel({ name: raw, version });
    if (resolved) levels[mode] = resolved;
    else if (fallback) {
      labelIssues.push(
        `${modeLabel(mode)}="${raw}" is not a known framework or policy set; using the cluster default ${fallback.name}:${fallback.version}`,
      );
      levels[mode] = fallback;
    } else {
      // No default to fall back to: an enforce label that means nothing must not mean "allow all".
      labelIssues.push(
        `${modeLabel(mode)}="${raw}" is not a known framework or policy set and ${mode} has no cluster default; using all controls`,
      );
      levels[mode] = config.strictest;
    }
  }
  return { levels, labelIssues };
}

function evaluateLevels(
  attrs: AdmissionAttributes,
  levels: Readonly<Partial<Record<Mode, ResolvedLevel>>>,
  config: CompiledAdmissionConfig,
  record: DecisionRecord,
): void {
  const object = attrs.object;
  if (!object) return;
  const controls = unionOf(levels);
  if (controls.length === 0) return;
  const ref = refOf(object);
  if (ref.namespace === undefined && attrs.namespace !== '' && object.kind !== 'Namespace')
    ref.namespace = attrs.namespace;
  if (ref.name === '' && attrs.name !== '') ref.name = attrs.name;
  const resource: Resource = { object, ref };
  const inventory = new Inventory();
  inventory.add(resource);
  const result = evaluateControls(inventory, controls, { settings: config.controlSettings });
  for (const f of result.findings) {
    for (const mode of MODES) {
      const level = levels[mode];
      if (!level?.ids.has(f.controlId)) continue;
      record.violations.push({
        controlId: f.controlId,
        severity: f.severity,
        mode,
        level: `${level.name}:${level.version}`,
        field: f.fieldPath ?? '',
        message: f.message,
      });
    }
  }
  for (const e of result.errors) {
    const inEnforce = levels.enforce?.ids.has(e.controlId) === true;
    record.errors.push({
      source: 'control',
      id: e.controlId,
      message: e.message,
      // Only an enforced control can fail a request; a warn/audit one is reported, not fatal.
      failurePolicy: inEnforce ? config.failurePolicy : 'Ignore',
    });
  }
}

const unionCache = new WeakMap<ResolvedLevel, WeakMap<ResolvedLevel, WeakMap<ResolvedLevel, Control[]>>>();
const NONE: ResolvedLevel = { name: 'none', version: 'latest', controls: [], ids: new Set() };

/** Controls of every mode's level, each once; inventory-wide controls are left out. */
function unionOf(levels: Readonly<Partial<Record<Mode, ResolvedLevel>>>): Control[] {
  const [a, b, c] = [levels.enforce ?? NONE, levels.warn ?? NONE, levels.audit ?? NONE];
  let byB = unionCache.get(a);
  if (!byB) unionCache.set(a, (byB = new WeakMap()));
  let byC = byB.get(b);
  if (!byC) byB.set(b, (byC = new WeakMap()));
  let out = byC.get(c);
  if (!out) {
    const seen = new Map<string, Control>();
    for (const level of [a, b, c])
      for (const control of level.controls) if (isObjectControl(control)) seen.set(control.id, control);
    out = [...seen.values()];
    byC.set(c, out);
  }
  return out;
}

/**
 * Controls judged on one object. Those that compare it with the rest of the cluster
 * (`appliesTo.needsCluster`) would fire on every request, which carries one object only: they
 * are left to scans, like the inventory-wide controls.
 */
function isObjectControl(c: CatalogEntry): c is Control {
  return 'check' in c && c.appliesTo.needsCluster !== true;
}

function evaluatePolicies(
  attrs: AdmissionAttributes,
  config: CompiledAdmissionConfig,
  phase: PolicyPhase,
): PolicyEvaluation {
  if (config.policies.policies.length === 0) return { decisions: [], auditAnnotations: {}, errors: [] };
  try {
    const out = config.policies.evaluate(attrs, phase);
    return {
      decisions: Array.isArray(out.decisions) ? out.decisions : [],
      auditAnnotations:
        out.auditAnnotations !== null && typeof out.auditAnnotations === 'object' ? out.auditAnnotations : {},
      errors: Array.isArray(out.errors) ? out.errors : [],
      ...(Array.isArray(out.patch) ? { patch: out.patch } : {}),
    };
  } catch (e) {
    const error: PolicyError = {
      policy: '(policy evaluator)',
      message: e instanceof Error ? e.message : String(e),
      failurePolicy: config.policyFailurePolicy,
    };
    return { decisions: [], auditAnnotations: {}, errors: [error] };
  }
}

const IGNORED_METADATA = new Set([
  'labels',
  'finalizers',
  'ownerReferences',
  'managedFields',
  'resourceVersion',
  'generation',
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
]);

/** True when an update leaves every field controls read (all but status and most metadata) unchanged. */
function sameSecurityFields(
  object: Record<string, unknown>,
  old: Record<string, unknown> | undefined,
): boolean {
  if (!old) return false;
  const keys = new Set([...Object.keys(object), ...Object.keys(old)]);
  for (const k of keys) {
    if (k === 'status') continue;
    if (k === 'metadata') {
      const m = (object.metadata ?? {}) as Record<string, unknown>;
      const o = (old.metadata ?? {}) as Record<string, unknown>;
      for (const mk of new Set([...Object.keys(m), ...Object.keys(o)]))
        if (!IGNORED_METADATA.has(mk) && !deepEqual(m[mk], o[mk], 0)) return false;
      continue;
    }
    if (!deepEqual(object[k], old[k], 0)) return false;
  }
  return true;
}

function deepEqual(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  // Past this depth treat as changed: evaluating is always safe, recursing forever is not.
  if (depth > 100) return false;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  for (const k of ak) if (!Object.hasOwn(bo, k) || !deepEqual(ao[k], bo[k], depth + 1)) return false;
  return true;
}
