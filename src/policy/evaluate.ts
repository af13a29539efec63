/**
 * Evaluates compiled policies on one admission request with Kubernetes semantics:
 * MutatingAdmissionPolicies first (in name order, with reinvocation), then
 * ValidatingAdmissionPolicies on the mutated object. Per policy and binding: match
 * constraints, binding matchResources, params (name or selector, parameterNotFoundAction),
 * matchConditions, lazy variables, validations with message/messageExpression/reason,
 * auditAnnotations, validationActions, and failurePolicy for every error. Pure: no I/O.
 */
import { joinFieldPath, podTemplateOf, type KubeObject, type Result, type Severity } from '../core/index.js';
import {
  PER_CALL_COST_LIMIT,
  PER_EXPRESSION_COST_LIMIT,
  chargeCost,
  fromCelValue,
  toCelValue,
  type CelEvalError,
  type CostBudget,
} from './cel/engine.js';
import { authorizerValue, type AuthorizerFn } from './cel/k8s-lib.js';
import type {
  CompiledBinding,
  CompiledExpression,
  CompiledMutatingPolicy,
  CompiledValidatingPolicy,
  PolicySet,
} from './compile.js';
import { matchResources } from './match.js';
import { applyJsonPatch, diffJsonPatch, mergeApplyConfiguration, type JsonPatchOp } from './mutate.js';
import type { FailurePolicy, MatchResources, RequestAttributes, ValidationAction } from './types.js';

/** Options of `evaluateRequest`. */
export interface EvaluateRequestOptions {
  /** Also apply Pod policies to the pod template of workload objects (default false; scans turn it on). */
  autogen?: boolean;
  /** Backs the `authorizer` variable; without it, authorizer checks fail with "not available offline". */
  authorizer?: AuthorizerFn;
  /** Finds the Namespace object when the attributes carry none (e.g. from an inventory). */
  namespaceObject?: (name: string) => KubeObject | undefined;
  perExpressionCostLimit?: number;
  perCallCostLimit?: number;
  /** Run mutating policies (default true). */
  mutate?: boolean;
  /** Run validating policies (default true). */
  validate?: boolean;
}

/** One outcome a binding's validationActions turned into an action. */
export interface PolicyDecision {
  kind: 'ValidatingAdmissionPolicy' | 'MutatingAdmissionPolicy';
  policy: string;
  binding: string;
  /** Index in spec.validations; absent for errors outside a validation (params, matchConditions). */
  validationIndex?: number;
  action: ValidationAction;
  message: string;
  reason: string;
  /** `failed`: the validation returned false; `error`: it could not be evaluated (failurePolicy Fail). */
  evaluation: 'failed' | 'error';
  severity: Severity;
  /** Field path in the request's object the validation declares (rewritten for autogen). */
  fieldPath?: string;
  /** Set when the policy matched the pod template of a workload (autogen). */
  autogen?: { templatePath: string };
}

/** An evaluation error, with what failurePolicy made of it. */
export interface PolicyEvaluationError {
  kind: 'ValidatingAdmissionPolicy' | 'MutatingAdmissionPolicy';
  policy: string;
  binding: string;
  /** Field path of the expression in the policy, e.g. `spec.validations[1].expression`. */
  path: string;
  message: string;
  failurePolicy: FailurePolicy;
  /** `denied`: failurePolicy Fail turned it into a decision; `ignored`: failurePolicy Ignore. */
  outcome: 'denied' | 'ignored';
  code: 'cost_exceeded' | 'eval_error' | 'configuration';
}

/** Everything one request produced. */
export interface RequestEvaluation {
  allowed: boolean;
  /** The API server's message for the first Deny decision. */
  denyMessage?: string;
  decisions: PolicyDecision[];
  /** Warnings as the API server returns them (one per Warn decision). */
  warnings: string[];
  auditAnnotations: Record<string, string>;
  /** JSON patch from the request's object to the mutated one (absent when nothing changed). */
  patch?: JsonPatchOp[];
  mutatedObject?: KubeObject;
  errors: PolicyEvaluationError[];
}

type AnyPolicy = CompiledValidatingPolicy | CompiledMutatingPolicy;

/** Where compiled matchConstraints keep their JSON, the key of `Run.matches`. */
const MATCH_KEY = Symbol('palisade.matchKey');
/** Constraint keys by content, so equal constraints share one string (compared by identity). */
const INTERNED_KEYS = new Map<string, string>();
function constraintKey(m: MatchResources): string {
  let key = JSON.stringify(m);
  const known = INTERNED_KEYS.get(key);
  if (known !== undefined) key = known;
  else {
    if (INTERNED_KEYS.size >= 10_000) INTERNED_KEYS.clear();
    INTERNED_KEYS.set(key, key);
  }
  if (Object.isExtensible(m)) Object.defineProperty(m, MATCH_KEY, { value: key, enumerable: false });
  return key;
}

/** Where a policy keeps its bindings of the set it was last evaluated in (see `Run.bindingsOf`). */
const BINDINGS = Symbol('palisade.bindings');
interface BindingsOf {
  byName: ReadonlyMap<string, CompiledBinding[]>;
  list: readonly CompiledBinding[];
}

/** The params of a policy without paramKind: one evaluation with `params` null. */
const NO_PARAMS: { list: (KubeObject | null)[] } = Object.freeze({
  list: Object.freeze([null]) as unknown as (KubeObject | null)[],
});

/** Where an activation keeps its variables' state (a symbol: CEL only sees names). */
const LAZY = Symbol('palisade.lazyVariables');

interface LazyState {
  policy: AnyPolicy;
  variables: Record<string, unknown>;
  budget: CostBudget;
  perExpr: number;
  /** Variables evaluated (or being evaluated): a bit per index below 31, then a set. */
  done: number;
  doneMore?: Set<number>;
  /** Variables not evaluated yet. */
  pending: number;
  /** Results of variable expressions that read no other variable, for these inputs. */
  memo: Map<string, Memo>;
}

/**
 * A variable's result on one set of inputs, with the cost it took. CEL is pure and every
 * input of an expression that reads no other variable is the same object for every policy
 * of one request (object, oldObject, request, params, namespaceObject, authorizer), so a
 * second policy declaring the same variable gets the same value; its budget is charged the
 * same cost, so cost limits bite exactly as if it had evaluated the expression again.
 */
interface Memo {
  result: Result<unknown, CelEvalError>;
  cost: number;
}

/** A declared variable of a policy. */
type CompiledVariable = CompiledExpression & { name: string };

type Activation = Record<string, unknown> & { [LAZY]?: LazyState | undefined };

/** What every activation of one request, object and param shares. */
interface Inputs {
  object: unknown;
  oldObject: unknown;
  request: unknown;
  params: unknown;
  namespaceObject: unknown;
  authorizer: unknown;
  memo: Map<string, Memo>;
}

const VARIABLE_REF = /^\s*\.\s*(?:\?\s*)?([A-Za-z_][A-Za-z0-9_]*)/;

/** Names of the variables an expression reads as `variables.x`, or 'all' for any other use. */
function variableRefs(expr: string): ReadonlySet<string> | 'all' {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\bvariables\b/g)) {
    const ref = VARIABLE_REF.exec(expr.slice(m.index + m[0].length));
    if (!ref?.[1]) return 'all';
    names.add(ref[1]);
  }
  return names;
}

/** Where a compiled expression keeps the variable names it reads (computed on first use). */
const REFS = Symbol('palisade.variableRefs');
interface HasExpression {
  readonly expression: string;
  [REFS]?: ReadonlySet<string> | 'all';
}
function refsOf(e: HasExpression): ReadonlySet<string> | 'all' {
  return (e[REFS] ??= variableRefs(e.expression));
}

/** Where an expression keeps the indices of the declared variables it reads (per declaration list). */
const NEEDS = Symbol('palisade.variableIndices');
interface HasNeeds extends HasExpression {
  [NEEDS]?: { declared: readonly CompiledVariable[]; indices: readonly number[] };
}

/** The indices, in declaration order, of the variables of `declared` that an expression reads. */
function needsOf(e: HasNeeds, declared: readonly CompiledVariable[]): readonly number[] {
  const known = e[NEEDS];
  if (known !== undefined && known.declared === declared) return known.indices;
  const refs = refsOf(e);
  const indices: number[] = [];
  for (let i = 0; i < declared.length; i++) {
    const v = declared[i];
    if (v && (refs === 'all' || refs.has(v.name))) indices.push(i);
  }
  e[NEEDS] = { declared, indices };
  return indices;
}

/**
 * Makes the variables an expression reads available before it runs. Variables are still
 * evaluated once, on first reference, in declaration order (each sees the earlier ones); a
 * value becomes a plain field, and a failure becomes a getter that throws when read, so an
 * expression that does not actually read it (short-circuit) is unaffected, as with lazy
 * evaluation.
 */
function ensureVariables(vars: Activation, expr: HasExpression): void {
  const st = vars[LAZY];
  if (st === undefined || st.pending === 0) return;
  const declared = st.policy.variables;
  const need = needsOf(expr, declared);
  for (let j = 0; j < need.length; j++) {
    const i = need[j] as number;
    const v = declared[i] as CompiledVariable;
    if (i < 31 ? (st.done & (1 << i)) !== 0 : st.doneMore?.has(i)) continue;
    if (i < 31) st.done |= 1 << i;
    else (st.doneMore ??= new Set()).add(i);
    st.pending--;
    let out: Result<unknown, CelEvalError>;
    if (needsOf(v, declared).length === 0) {
      const memo = st.memo.get(v.expression);
      if (memo) {
        const exceeded = chargeCost(st.budget, memo.cost, st.perExpr);
        out = exceeded ? { ok: false, error: exceeded } : memo.result;
      } else {
        const before = st.budget.remaining;
        out = v.program.evaluate(vars, st.budget, st.perExpr);
        if (out.ok || out.error.code !== 'cost_exceeded')
          st.memo.set(v.expression, { result: out, cost: before - st.budget.remaining });
      }
    } else {
      ensureVariables(vars, v);
      out = v.program.evaluate(vars, st.budget, st.perExpr);
    }
    if (out.ok) st.variables[v.name] = out.value;
    else {
      const message = `composited variable "${v.name}" fails to evaluate: ${out.error.message}`;
      Object.defineProperty(st.variables, v.name, {
        enumerable: true,
        get() {
          throw new Error(message);
        },
      });
    }
  }
}

interface Scope {
  attrs: RequestAttributes;
  autogen?: { templatePath: string };
}

class Run {
  readonly out: RequestEvaluation = {
    allowed: true,
    decisions: [],
    warnings: [],
    auditAnnotations: {},
    errors: [],
  };
  private readonly auditFailures: Record<string, unknown>[] = [];
  // The caches below are made on first use: most requests use one set of inputs, kept in `last`.
  private requestCache: Map<RequestAttributes, unknown> | undefined;
  /** CEL values of the objects of this request, converted once (objects are never mutated in place). */
  private celCache: Map<KubeObject, unknown> | undefined;
  private memos:
    Map<RequestAttributes, Map<KubeObject | null, Map<KubeObject | null, Map<string, Memo>>>> | undefined;
  private matchCache: Map<RequestAttributes, Map<string, boolean>> | undefined;
  private lastMatch: { key: string; attrs: RequestAttributes; matched: boolean } | undefined;
  private authorizer: unknown;
  /** The inputs last asked for, and for which request attributes, object and param. */
  private last:
    | { attrs: RequestAttributes; object: KubeObject | null; param: KubeObject | null; inputs: Inputs }
    | undefined;
  constructor(
    readonly set: PolicySet,
    readonly options: EvaluateRequestOptions,
  ) {}

  request(attrs: RequestAttributes): unknown {
    this.requestCache ??= new Map<RequestAttributes, unknown>();
    let r = this.requestCache.get(attrs);
    if (r === undefined) {
      r = toCelValue({
        uid: '',
        kind: attrs.kind,
        resource: attrs.resource,
        subResource: attrs.subResource ?? '',
        requestKind: attrs.kind,
        requestResource: attrs.resource,
        requestSubResource: attrs.subResource ?? '',
        name: attrs.name ?? '',
        namespace: attrs.namespace ?? '',
        operation: attrs.operation,
        userInfo: attrs.userInfo ?? {},
        dryRun: attrs.dryRun ?? false,
        options: attrs.options ?? null,
      });
      this.requestCache.set(attrs, r);
    }
    return r;
  }

  cel(o: KubeObject | null): unknown {
    if (o === null) return null;
    this.celCache ??= new Map<KubeObject, unknown>();
    let v = this.celCache.get(o);
    if (v === undefined) {
      v = toCelValue(o);
      this.celCache.set(o, v);
    }
    return v;
  }

  /**
   * matchConstraints against one request. Policies often declare the same constraints (a
   * policy set for pods, say), so the answer is kept per request by the constraints' JSON.
   */
  matches(m: MatchResources | undefined, attrs: RequestAttributes): boolean {
    if (!m) return false;
    const key = (m as { [MATCH_KEY]?: string })[MATCH_KEY] ?? constraintKey(m);
    // Policies of a set mostly share their constraints: the last answer first.
    const last = this.lastMatch;
    if (last && last.key === key && last.attrs === attrs) return last.matched;
    const matched = this.matchOf(m, key, attrs);
    this.lastMatch = { key, attrs, matched };
    return matched;
  }

  private matchOf(m: MatchResources, key: string, attrs: RequestAttributes): boolean {
    this.matchCache ??= new Map<RequestAttributes, Map<string, boolean>>();
    let byKey = this.matchCache.get(attrs);
    if (!byKey) this.matchCache.set(attrs, (byKey = new Map<string, boolean>()));
    let r = byKey.get(key);
    if (r === undefined) {
      r = matchResources(m, attrs, true) !== undefined;
      byKey.set(key, r);
    }
    return r;
  }

  /** The variable memo for one set of inputs (request attributes, object, param). */
  memo(attrs: RequestAttributes, object: KubeObject | null, param: KubeObject | null): Map<string, Memo> {
    this.memos ??= new Map();
    let byObject = this.memos.get(attrs);
    if (!byObject)
      this.memos.set(
        attrs,
        (byObject = new Map<KubeObject | null, Map<KubeObject | null, Map<string, Memo>>>()),
      );
    let byParam = byObject.get(object);
    if (!byParam) byObject.set(object, (byParam = new Map<KubeObject | null, Map<string, Memo>>()));
    let memo = byParam.get(param);
    if (!memo) byParam.set(param, (memo = new Map<string, Memo>()));
    return memo;
  }

  namespaceObject(attrs: RequestAttributes): KubeObject | null {
    if (attrs.namespaceObject !== undefined) return attrs.namespaceObject;
    if (!attrs.namespace) return null;
    return this.options.namespaceObject?.(attrs.namespace) ?? null;
  }

  /** Records a decision for every validation action of the binding. */
  decide(
    p: AnyPolicy,
    b: CompiledBinding,
    scope: Scope,
    d: Omit<PolicyDecision, 'kind' | 'policy' | 'binding' | 'action' | 'severity'>,
  ): void {
    for (const action of b.validationActions) {
      const decision: PolicyDecision = {
        kind: p.kind,
        policy: p.name,
        binding: b.name,
        action,
        severity: p.severity,
        ...d,
      };
      if (scope.autogen) decision.autogen = scope.autogen;
      this.out.decisions.push(decision);
      if (action === 'Deny' && this.out.allowed) {
        this.out.allowed = false;
        this.out.denyMessage = `${p.kind === 'MutatingAdmissionPolicy' ? 'MutatingAdmissionPolicy' : 'ValidatingAdmissionPolicy'} '${p.name}' with binding '${b.name}' denied request: ${d.message}`;
      } else if (action === 'Warn') {
        this.out.warnings.push(
          `Validation failed for ValidatingAdmissionPolicy '${p.name}' with binding '${b.name}': ${d.message}`,
        );
      } else if (action === 'Audit') {
        this.auditFailures.push({
          message: d.message,
          policy: p.name,
          binding: b.name,
          expressionIndex: d.validationIndex ?? 0,
          validationActions: b.validationActions,
        });
      }
    }
  }

  /**
   * Applies failurePolicy to an error: under Fail, an expression error becomes a decision for
   * each of the binding's validationActions, while a configuration or matchCondition error
   * denies directly (as the API server's dispatcher does); the error is recorded either way.
   */
  fail(
    p: AnyPolicy,
    b: CompiledBinding,
    scope: Scope,
    path: string,
    message: string,
    code: PolicyEvaluationError['code'],
    validationIndex?: number,
    direct = false,
  ): void {
    const denied = p.failurePolicy === 'Fail';
    this.out.errors.push({
      kind: p.kind,
      policy: p.name,
      binding: b.name,
      path,
      message,
      failurePolicy: p.failurePolicy,
      outcome: denied ? 'denied' : 'ignored',
      code,
    });
    if (!denied) return;
    const d = {
      message,
      reason: 'Invalid',
      evaluation: 'error' as const,
      ...(validationIndex !== undefined ? { validationIndex } : {}),
    };
    this.decide(p, direct ? { ...b, validationActions: ['Deny'] } : b, scope, d);
  }

  params(
    p: AnyPolicy,
    b: CompiledBinding,
    attrs: RequestAttributes,
  ): { list: (KubeObject | null)[] } | { notFound: true } | { error: string } {
    if (!p.paramKind) return NO_PARAMS;
    const ref = b.paramRef;
    if (!ref)
      return {
        error: `failed to configure binding: paramRef is required because policy "${p.name}" has paramKind`,
      };
    const candidates = this.set.params.list(p.paramKind);
    const clusterScoped = candidates.length > 0 && candidates.every((o) => !o.metadata?.namespace);
    let ns: string | undefined;
    if (!clusterScoped) {
      ns = ref.namespace ?? attrs.namespace;
      if (!ns)
        return {
          error: `failed to configure binding: paramRef.namespace must be set when the request is cluster-scoped and paramKind ${p.paramKind.kind} is namespace-scoped`,
        };
    }
    const found = candidates.filter((o) => {
      if (ns !== undefined && o.metadata?.namespace !== ns) return false;
      if (ref.name) return o.metadata?.name === ref.name;
      return ref.selector ? selectorMatches(ref.selector, o.metadata?.labels) : true;
    });
    return found.length === 0 ? { notFound: true } : { list: found };
  }

  /** The CEL inputs of one request, object and param: converted once, shared by every policy. */
  inputs(attrs: RequestAttributes, object: KubeObject | null, param: KubeObject | null): Inputs {
    const last = this.last;
    if (last && last.attrs === attrs && last.object === object && last.param === param) return last.inputs;
    const inputs: Inputs = {
      object: this.cel(object),
      oldObject: this.cel(attrs.oldObject ?? null),
      request: this.request(attrs),
      params: this.cel(param),
      namespaceObject: this.cel(this.namespaceObject(attrs)),
      authorizer: (this.authorizer ??= authorizerValue(
        this.options.authorizer,
        attrs.userInfo?.username !== undefined
          ? { user: attrs.userInfo.username, groups: attrs.userInfo.groups ?? [] }
          : undefined,
      )),
      memo: this.memo(attrs, object, param),
    };
    this.last = { attrs, object, param, inputs };
    return inputs;
  }

  vars(
    p: AnyPolicy,
    attrs: RequestAttributes,
    object: KubeObject | null,
    param: KubeObject | null,
    budget: CostBudget,
  ): Activation {
    const inputs = this.inputs(attrs, object, param);
    const variables: Record<string, unknown> = {};
    // One literal, every field always present: every activation has the same shape.
    return {
      object: inputs.object,
      oldObject: inputs.oldObject,
      request: inputs.request,
      params: inputs.params,
      namespaceObject: inputs.namespaceObject,
      variables,
      authorizer: inputs.authorizer,
      [LAZY]:
        p.variables.length > 0
          ? {
              policy: p,
              variables,
              budget,
              perExpr: this.options.perExpressionCostLimit ?? PER_EXPRESSION_COST_LIMIT,
              done: 0,
              pending: p.variables.length,
              memo: inputs.memo,
            }
          : undefined,
    };
  }

  eval(
    e: CompiledExpression,
    vars: Record<string, unknown>,
    budget: CostBudget,
  ): ReturnType<CompiledExpression['program']['evaluate']> {
    ensureVariables(vars, e);
    return e.program.evaluate(vars, budget, this.options.perExpressionCostLimit ?? PER_EXPRESSION_COST_LIMIT);
  }

  /** Returns true when the matchConditions let the policy run (errors follow failurePolicy). */
  conditions(
    p: AnyPolicy,
    b: CompiledBinding,
    scope: Scope,
    vars: Record<string, unknown>,
    budget: CostBudget,
  ): boolean {
    let firstError: { path: string; message: string; code: PolicyEvaluationError['code'] } | undefined;
    for (const mc of p.matchConditions) {
      const r = this.eval(mc, vars, budget);
      if (r.ok && r.value === false) return false;
      if (!r.ok)
        firstError ??= {
          path: mc.path,
          message: `failed to evaluate matchCondition "${mc.name}": ${r.error.message}`,
          code: r.error.code,
        };
      else if (r.value !== true)
        firstError ??= {
          path: mc.path,
          message: `matchCondition "${mc.name}" must evaluate to bool`,
          code: 'eval_error',
        };
    }
    if (firstError) {
      this.fail(p, b, scope, firstError.path, firstError.message, firstError.code, undefined, true);
      return false;
    }
    return true;
  }

  /** Resolves which bindings and params apply and calls `body` for each. */
  each(
    p: AnyPolicy,
    scope: Scope,
    bindings: readonly CompiledBinding[],
    body: (b: CompiledBinding, param: KubeObject | null, budget: CostBudget) => void,
  ): void {
    for (const b of bindings) {
      if (b.matchResources && !matchResources(b.matchResources, scope.attrs, false)) continue;
      const params = this.params(p, b, scope.attrs);
      if ('error' in params) {
        this.fail(p, b, scope, 'spec.paramRef', params.error, 'configuration', undefined, true);
        continue;
      }
      if ('notFound' in params) {
        if ((b.paramRef?.parameterNotFoundAction ?? 'Deny') === 'Deny')
          this.fail(
            p,
            b,
            scope,
            'spec.paramRef',
            'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction',
            'configuration',
            undefined,
            true,
          );
        continue;
      }
      // An indexed loop: most policies have the one frozen `[null]` list, where an iterator costs more than the call.
      const list = params.list;
      for (let i = 0; i < list.length; i++)
        body(b, list[i] ?? null, { remaining: this.options.perCallCostLimit ?? PER_CALL_COST_LIMIT });
    }
  }

  /** A validating policy's bindings in this set, kept on the policy for the next request. */
  private bindingsOf(p: CompiledValidatingPolicy & { [BINDINGS]?: BindingsOf }): readonly CompiledBinding[] {
    const byName = this.set.validatingBindings;
    const known = p[BINDINGS];
    if (known !== undefined && known.byName === byName) return known.list;
    const list = byName.get(p.name) ?? [];
    if (Object.isExtensible(p))
      Object.defineProperty(p, BINDINGS, { value: { byName, list }, writable: true });
    return list;
  }

  validate(p: CompiledValidatingPolicy, scope: Scope): void {
    const bindings = this.bindingsOf(p);
    if (p.paramKind) {
      this.each(p, scope, bindings, (b, param, budget) => {
        this.validateWith(p, b, scope, param, budget);
      });
      return;
    }
    // Without params (most policies): one evaluation per binding, no closure per policy.
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i] as CompiledBinding;
      if (b.matchResources && !matchResources(b.matchResources, scope.attrs, false)) continue;
      this.validateWith(p, b, scope, null, {
        remaining: this.options.perCallCostLimit ?? PER_CALL_COST_LIMIT,
      });
    }
  }

  /** Runs a validating policy's matchConditions, validations and audit annotations for one binding and param. */
  private validateWith(
    p: CompiledValidatingPolicy,
    b: CompiledBinding,
    scope: Scope,
    param: KubeObject | null,
    budget: CostBudget,
  ): void {
    const attrs = scope.attrs;
    const vars = this.vars(p, attrs, attrs.object, param, budget);
    if (!this.conditions(p, b, scope, vars, budget)) return;
    const validations = p.validations;
    for (let i = 0; i < validations.length; i++) {
      const v = validations[i];
      if (!v) continue;
      const r = this.eval(v, vars, budget);
      if (!r.ok) {
        this.fail(
          p,
          b,
          scope,
          v.path,
          `expression '${v.expression}' resulted in error: ${r.error.message}`,
          r.error.code,
          i,
        );
        continue;
      }
      if (typeof r.value !== 'boolean') {
        this.fail(
          p,
          b,
          scope,
          v.path,
          `expression '${v.expression}' resulted in a non-bool value`,
          'eval_error',
          i,
        );
        continue;
      }
      if (r.value) continue;
      let message = v.message ?? `failed expression: ${v.expression}`;
      if (v.messageProgram) {
        ensureVariables(vars, v.messageProgram);
        const m = v.messageProgram.evaluate(
          vars,
          budget,
          this.options.perExpressionCostLimit ?? PER_EXPRESSION_COST_LIMIT,
        );
        if (m.ok && typeof m.value === 'string' && m.value.trim() !== '' && !m.value.includes('\n'))
          message = m.value;
      }
      const decision: Omit<PolicyDecision, 'kind' | 'policy' | 'binding' | 'action' | 'severity'> = {
        validationIndex: i,
        message,
        reason: v.reason,
        evaluation: 'failed',
      };
      if (v.fieldPath !== undefined)
        decision.fieldPath = scope.autogen
          ? joinFieldPath(scope.autogen.templatePath, v.fieldPath)
          : v.fieldPath;
      this.decide(p, b, scope, decision);
    }
    for (const a of p.auditAnnotations) {
      const r = this.eval(a, vars, budget);
      if (!r.ok) {
        this.fail(
          p,
          b,
          scope,
          a.path,
          `valueExpression '${a.expression}' resulted in error: ${r.error.message}`,
          r.error.code,
        );
        continue;
      }
      if (r.value === null) continue;
      if (typeof r.value !== 'string') {
        this.fail(
          p,
          b,
          scope,
          a.path,
          `valueExpression '${a.expression}' resulted in a value that is neither string nor null`,
          'eval_error',
        );
        continue;
      }
      if (r.value !== '') this.out.auditAnnotations[`${p.name}/${a.key}`] = r.value;
    }
  }

  /** Applies one mutating policy; returns the (possibly) new object. */
  mutateOnce(p: CompiledMutatingPolicy, attrs: RequestAttributes, object: KubeObject): KubeObject {
    let current = object;
    const scope: Scope = { attrs };
    const bindings = this.set.mutatingBindings.get(p.name) ?? [];
    this.each(p, scope, bindings, (b, param, budget) => {
      const at = { ...attrs, object: current };
      if (!this.conditions(p, b, { attrs: at }, this.vars(p, at, current, param, budget), budget)) return;
      for (const m of p.mutations) {
        const vars = this.vars(p, at, current, param, budget);
        const r = this.eval(m, vars, budget);
        if (!r.ok) {
          this.fail(
            p,
            b,
            scope,
            m.path,
            `expression '${m.expression}' resulted in error: ${r.error.message}`,
            r.error.code,
          );
          return;
        }
        const value = fromCelValue(r.value);
        try {
          if (m.patchType === 'ApplyConfiguration') {
            if (value === null || typeof value !== 'object' || Array.isArray(value))
              throw new Error('applyConfiguration must evaluate to an Object');
            current = mergeApplyConfiguration(current, value) as KubeObject;
          } else {
            if (!Array.isArray(value)) throw new Error('jsonPatch must evaluate to a list of JSONPatch');
            current = applyJsonPatch(current, value as JsonPatchOp[]) as KubeObject;
          }
        } catch (e) {
          this.fail(p, b, scope, m.path, `mutation failed: ${(e as Error).message}`, 'eval_error');
          return;
        }
        at.object = current;
      }
    });
    return current;
  }

  finish(): RequestEvaluation {
    if (this.auditFailures.length > 0)
      this.out.auditAnnotations['validation.policy.admission.k8s.io/validation_failure'] = JSON.stringify(
        this.auditFailures,
      );
    return this.out;
  }
}

function selectorMatches(
  sel: NonNullable<NonNullable<CompiledBinding['paramRef']>['selector']>,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const req of sel.matchExpressions ?? []) {
    const present = Object.hasOwn(l, req.key);
    const vals = req.values ?? [];
    if (req.operator === 'In' && !(present && vals.includes(l[req.key] ?? ''))) return false;
    if (req.operator === 'NotIn' && present && vals.includes(l[req.key] ?? '')) return false;
    if (req.operator === 'Exists' && !present) return false;
    if (req.operator === 'DoesNotExist' && present) return false;
  }
  return true;
}

/** The request as a Pod request for the pod template of a workload object, for autogen. */
export function podTemplateAttributes(attrs: RequestAttributes): Scope | undefined {
  const obj = attrs.object ?? attrs.oldObject;
  if (!obj || obj.kind === 'Pod') return undefined;
  const toPod = (o: KubeObject | null | undefined): KubeObject | null => {
    const t = o ? podTemplateOf(o) : undefined;
    if (!t) return null;
    const metadata = { ...t.metadata };
    if (attrs.namespace) metadata.namespace = attrs.namespace;
    return { apiVersion: 'v1', kind: 'Pod', metadata, spec: t.spec };
  };
  const t = podTemplateOf(obj);
  if (!t) return undefined;
  const pod = toPod(attrs.object);
  const oldPod = toPod(attrs.oldObject);
  const podAttrs: RequestAttributes = {
    ...attrs,
    object: pod,
    oldObject: oldPod,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    subResource: '',
    name: (pod ?? oldPod)?.metadata?.name ?? attrs.name ?? '',
  };
  return { attrs: podAttrs, autogen: { templatePath: t.metadataPath.replace(/\.?metadata$/, '') } };
}

/**
 * Evaluates every compiled policy on one request. Mutations run first and validations see
 * the mutated object, as in the API server.
 */
export function evaluateRequest(
  set: PolicySet,
  attrs: RequestAttributes,
  options: EvaluateRequestOptions = {},
): RequestEvaluation {
  const run = new Run(set, options);
  let attributes = attrs;
  if (options.mutate !== false && attrs.object && set.mutating.length > 0) {
    const original = attrs.object;
    let current = original;
    const applied: CompiledMutatingPolicy[] = [];
    let lastChange = -1;
    for (const p of set.mutating) {
      if (!matchResources(p.matchConstraints, { ...attrs, object: current }, true)) continue;
      const next = run.mutateOnce(p, attrs, current);
      applied.push(p);
      if (JSON.stringify(next) !== JSON.stringify(current)) lastChange = applied.length - 1;
      current = next;
    }
    // Reinvocation: IfNeeded policies run once more when a later policy changed the object.
    const again = applied.filter((p, i) => p.reinvocationPolicy === 'IfNeeded' && i < lastChange);
    for (const p of again) current = run.mutateOnce(p, attrs, current);
    const patch = diffJsonPatch(original, current);
    if (patch.length > 0) {
      run.out.patch = patch;
      run.out.mutatedObject = current;
      attributes = { ...attrs, object: current };
    }
  }
  if (options.validate !== false) {
    const podScope = options.autogen ? podTemplateAttributes(attributes) : undefined;
    const scope: Scope = { attrs: attributes };
    for (const p of set.validating) {
      if (run.matches(p.matchConstraints, attributes)) run.validate(p, scope);
      else if (podScope && p.autogen && run.matches(p.matchConstraints, podScope.attrs))
        run.validate(p, podScope);
    }
  }
  return run.finish();
}
