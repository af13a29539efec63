/**
 * Compiles admission policies once, before any evaluation: ValidatingAdmissionPolicy,
 * MutatingAdmissionPolicy, their bindings and Palisade's CELPolicy, checking every field
 * Kubernetes validates and compiling every CEL expression. Every problem is returned with
 * the policy name and field path (and file:line when the object came from a file).
 */
import { apiGroupOf, isSeverity, type KubeObject, type Resource, type Severity } from '../core/index.js';
import { createCelEngine, type CelEngine, type CelProgram } from './cel/engine.js';
import type { AuthorizerFn } from './cel/k8s-lib.js';
import { rewriteTypedLiterals } from './mutate.js';
import {
  ADMISSION_GROUP,
  PALISADE_POLICY_KIND,
  type BindingSpec,
  type FailurePolicy,
  type MatchResources,
  type MutatingPolicySpec,
  type ParamKind,
  type ParamRef,
  type ValidatingPolicySpec,
  type ValidationAction,
} from './types.js';

/** A problem found while compiling a policy or binding. */
export interface PolicyError {
  /** Kind of the object at fault, e.g. `ValidatingAdmissionPolicy`. */
  kind: string;
  /** Name of the policy or binding. */
  policy: string;
  /** Field path in that object, e.g. `spec.validations[0].expression`. */
  path: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** A compiled expression with where it came from. */
export interface CompiledExpression {
  expression: string;
  path: string;
  program: CelProgram;
}

export interface CompiledValidation extends CompiledExpression {
  message?: string;
  messageProgram?: CelProgram;
  reason: string;
  fieldPath?: string;
}

interface CompiledPolicyBase {
  name: string;
  resource?: Resource;
  paramKind?: ParamKind;
  matchConstraints: MatchResources;
  failurePolicy: FailurePolicy;
  matchConditions: (CompiledExpression & { name: string })[];
  variables: (CompiledExpression & { name: string })[];
  /** Severity of scan findings (`palisade.dev/severity` annotation or CELPolicy spec.severity). */
  severity: Severity;
  /** Whether scans also apply a Pod policy to workload pod templates (default true). */
  autogen: boolean;
}

export interface CompiledValidatingPolicy extends CompiledPolicyBase {
  kind: 'ValidatingAdmissionPolicy';
  validations: CompiledValidation[];
  auditAnnotations: (CompiledExpression & { key: string })[];
}

export interface CompiledMutation extends CompiledExpression {
  patchType: 'ApplyConfiguration' | 'JSONPatch';
}

export interface CompiledMutatingPolicy extends CompiledPolicyBase {
  kind: 'MutatingAdmissionPolicy';
  mutations: CompiledMutation[];
  reinvocationPolicy: 'Never' | 'IfNeeded';
}

export interface CompiledBinding {
  name: string;
  policyName: string;
  resource?: Resource;
  paramRef?: ParamRef;
  matchResources?: MatchResources;
  validationActions: ValidationAction[];
}

/** Objects a paramRef may select, indexed by apiVersion and kind. */
export interface ParamStore {
  list(paramKind: ParamKind): readonly KubeObject[];
}

/** Everything evaluation needs: compiled policies, their bindings and the params. */
export interface PolicySet {
  engine: CelEngine;
  validating: CompiledValidatingPolicy[];
  mutating: CompiledMutatingPolicy[];
  validatingBindings: ReadonlyMap<string, CompiledBinding[]>;
  mutatingBindings: ReadonlyMap<string, CompiledBinding[]>;
  params: ParamStore;
}

/** Options of `compilePolicies`. */
export interface CompileOptions {
  engine?: CelEngine;
  authorizer?: AuthorizerFn;
  /** Extra objects params may come from (e.g. the scanned inventory). */
  params?: readonly KubeObject[];
}

const VALIDATION_ACTIONS: readonly string[] = ['Deny', 'Warn', 'Audit'];
const REASONS: readonly string[] = ['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge'];
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Returns true for the kinds compilePolicies turns into policies or bindings. */
export function isPolicyObject(o: KubeObject): boolean {
  const group = apiGroupOf(o.apiVersion);
  if (group === 'palisade.dev' && o.kind === PALISADE_POLICY_KIND) return true;
  return (
    group === ADMISSION_GROUP &&
    [
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'MutatingAdmissionPolicy',
      'MutatingAdmissionPolicyBinding',
    ].includes(o.kind)
  );
}

class Compiler {
  readonly errors: PolicyError[] = [];
  /**
   * Expression texts by content: policies of a set often declare the same variable, and the
   * evaluator's per-request memo finds it by its text, compared by identity when it is one string.
   */
  private readonly texts = new Map<string, string>();
  constructor(readonly engine: CelEngine) {}

  error(r: Resource | undefined, kind: string, name: string, path: string, message: string): void {
    const e: PolicyError = { kind, policy: name, path, message };
    if (r?.source) {
      e.file = r.source.file;
      Object.assign(e, r.source.locate(path));
    }
    this.errors.push(e);
  }

  expr(
    r: Resource | undefined,
    kind: string,
    name: string,
    path: string,
    expression: unknown,
    rewrite = false,
  ): CompiledExpression | undefined {
    if (typeof expression !== 'string' || expression.trim() === '') {
      this.error(r, kind, name, path, 'Required value: an expression is required');
      return undefined;
    }
    const compiled = this.engine.compile(rewrite ? rewriteTypedLiterals(expression) : expression);
    if (!compiled.ok) {
      this.error(r, kind, name, path, `compilation failed: ${compiled.error}`);
      return undefined;
    }
    let text = this.texts.get(expression);
    if (text === undefined) this.texts.set(expression, (text = expression));
    return { expression: text, path, program: compiled.value };
  }

  named(
    r: Resource | undefined,
    kind: string,
    name: string,
    path: string,
    list: unknown,
    checkIdent: boolean,
  ): (CompiledExpression & { name: string })[] {
    const out: (CompiledExpression & { name: string })[] = [];
    if (list === undefined || list === null) return out;
    if (!Array.isArray(list)) {
      this.error(r, kind, name, path, 'must be a list');
      return out;
    }
    const seen = new Set<string>();
    list.forEach((item: unknown, i) => {
      const p = `${path}[${i}]`;
      const n = isObj(item) ? item.name : undefined;
      if (typeof n !== 'string' || n === '') this.error(r, kind, name, `${p}.name`, 'Required value');
      else if (checkIdent && !IDENT.test(n))
        this.error(r, kind, name, `${p}.name`, `Invalid value: "${n}": must be a valid CEL identifier`);
      else if (!checkIdent && !QUALIFIED_NAME.test(n))
        this.error(r, kind, name, `${p}.name`, `Invalid value: "${n}": must be a qualified name`);
      else if (seen.has(n)) this.error(r, kind, name, `${p}.name`, `Duplicate value: "${n}"`);
      if (typeof n === 'string') seen.add(n);
      const c = this.expr(r, kind, name, `${p}.expression`, isObj(item) ? item.expression : undefined);
      if (c && typeof n === 'string') out.push({ ...c, name: n });
    });
    return out;
  }

  base(
    r: Resource | undefined,
    kind: string,
    name: string,
    spec: ValidatingPolicySpec | MutatingPolicySpec,
    meta: KubeObject['metadata'],
    extra: Record<string, unknown>,
  ): CompiledPolicyBase | undefined {
    const mc = spec.matchConstraints;
    if (!isObj(mc) || !Array.isArray(mc.resourceRules) || mc.resourceRules.length === 0) {
      this.error(
        r,
        kind,
        name,
        'spec.matchConstraints.resourceRules',
        'Required value: resourceRules are required',
      );
    }
    const fp = spec.failurePolicy ?? 'Fail';
    if (fp !== 'Fail' && fp !== 'Ignore')
      this.error(
        r,
        kind,
        name,
        'spec.failurePolicy',
        `Unsupported value: "${String(fp)}": supported values: "Fail", "Ignore"`,
      );
    if (
      spec.paramKind !== undefined &&
      (!isObj(spec.paramKind) || !spec.paramKind.apiVersion || !spec.paramKind.kind)
    )
      this.error(r, kind, name, 'spec.paramKind', 'Required value: apiVersion and kind are required');
    const sevText =
      typeof extra.severity === 'string' ? extra.severity : meta?.annotations?.['palisade.dev/severity'];
    let severity: Severity = 'medium';
    if (sevText !== undefined) {
      if (isSeverity(sevText)) severity = sevText;
      else this.error(r, kind, name, 'spec.severity', `Unsupported value: "${sevText}"`);
    }
    const autogenText = extra.autogen ?? meta?.annotations?.['palisade.dev/autogen'];
    return {
      name,
      ...(r ? { resource: r } : {}),
      ...(spec.paramKind ? { paramKind: spec.paramKind } : {}),
      matchConstraints: isObj(mc) ? mc : {},
      failurePolicy: fp === 'Ignore' ? 'Ignore' : 'Fail',
      matchConditions: this.named(r, kind, name, 'spec.matchConditions', spec.matchConditions, false),
      variables: this.named(r, kind, name, 'spec.variables', spec.variables, true),
      severity,
      autogen: autogenText !== false && autogenText !== 'false',
    };
  }

  validating(
    r: Resource | undefined,
    obj: KubeObject,
    spec: ValidatingPolicySpec,
    extra: Record<string, unknown>,
  ): CompiledValidatingPolicy | undefined {
    const kind = 'ValidatingAdmissionPolicy';
    const name = obj.metadata?.name ?? '';
    const before = this.errors.length;
    const base = this.base(
      r,
      obj.kind === PALISADE_POLICY_KIND ? PALISADE_POLICY_KIND : kind,
      name,
      spec,
      obj.metadata,
      extra,
    );
    const k = obj.kind;
    const validations: CompiledValidation[] = [];
    const vlist = spec.validations ?? [];
    const alist = spec.auditAnnotations ?? [];
    if (!Array.isArray(vlist) || !Array.isArray(alist) || (vlist.length === 0 && alist.length === 0))
      this.error(
        r,
        k,
        name,
        'spec.validations',
        'Required value: validations or auditAnnotations must contain at least one item',
      );
    (Array.isArray(vlist) ? vlist : []).forEach((v, i) => {
      const p = `spec.validations[${i}]`;
      const c = this.expr(r, k, name, `${p}.expression`, isObj(v) ? v.expression : undefined);
      if (!c || !isObj(v)) return;
      const cv: CompiledValidation = { ...c, reason: typeof v.reason === 'string' ? v.reason : 'Invalid' };
      if (v.reason !== undefined && !REASONS.includes(v.reason))
        this.error(r, k, name, `${p}.reason`, `Unsupported value: ${JSON.stringify(v.reason)}`);
      if (typeof v.message === 'string') {
        if (v.message.includes('\n'))
          this.error(r, k, name, `${p}.message`, 'Invalid value: message must not contain line breaks');
        cv.message = v.message;
      }
      if (v.messageExpression !== undefined) {
        const m = this.expr(r, k, name, `${p}.messageExpression`, v.messageExpression);
        if (m) cv.messageProgram = m.program;
      }
      if (typeof v.fieldPath === 'string') cv.fieldPath = v.fieldPath;
      validations.push(cv);
    });
    const auditAnnotations: (CompiledExpression & { key: string })[] = [];
    const keys = new Set<string>();
    (Array.isArray(alist) ? alist : []).forEach((a, i) => {
      const p = `spec.auditAnnotations[${i}]`;
      const key = isObj(a) ? a.key : undefined;
      if (typeof key !== 'string' || !QUALIFIED_NAME.test(key) || key.length > 63)
        this.error(
          r,
          k,
          name,
          `${p}.key`,
          'Invalid value: key must be a qualified name of at most 63 characters',
        );
      else if (keys.has(key)) this.error(r, k, name, `${p}.key`, `Duplicate value: "${key}"`);
      if (typeof key === 'string') keys.add(key);
      const c = this.expr(r, k, name, `${p}.valueExpression`, isObj(a) ? a.valueExpression : undefined);
      if (c && typeof key === 'string') auditAnnotations.push({ ...c, key });
    });
    if (!base || this.errors.length > before) return undefined;
    return { ...base, kind, validations, auditAnnotations };
  }

  mutating(
    r: Resource | undefined,
    obj: KubeObject,
    spec: MutatingPolicySpec,
  ): CompiledMutatingPolicy | undefined {
    const kind = 'MutatingAdmissionPolicy';
    const name = obj.metadata?.name ?? '';
    const before = this.errors.length;
    const base = this.base(r, kind, name, spec, obj.metadata, {});
    const mutations: CompiledMutation[] = [];
    const list = spec.mutations ?? [];
    if (!Array.isArray(list) || list.length === 0)
      this.error(r, kind, name, 'spec.mutations', 'Required value: at least one mutation');
    (Array.isArray(list) ? list : []).forEach((m, i) => {
      const p = `spec.mutations[${i}]`;
      const t = isObj(m) ? m.patchType : undefined;
      if (t === 'ApplyConfiguration' || t === 'JSONPatch') {
        const sub = t === 'ApplyConfiguration' ? 'applyConfiguration' : 'jsonPatch';
        const body = isObj(m) ? m[sub] : undefined;
        const c = this.expr(
          r,
          kind,
          name,
          `${p}.${sub}.expression`,
          isObj(body) ? body.expression : undefined,
          true,
        );
        if (c) mutations.push({ ...c, patchType: t });
      } else
        this.error(
          r,
          kind,
          name,
          `${p}.patchType`,
          `Unsupported value: "${String(t)}": supported values: "ApplyConfiguration", "JSONPatch"`,
        );
    });
    const rp = spec.reinvocationPolicy ?? 'Never';
    if (rp !== 'Never' && rp !== 'IfNeeded')
      this.error(r, kind, name, 'spec.reinvocationPolicy', `Unsupported value: "${String(rp)}"`);
    if (!base || this.errors.length > before) return undefined;
    return { ...base, kind, mutations, reinvocationPolicy: rp === 'IfNeeded' ? 'IfNeeded' : 'Never' };
  }

  binding(
    r: Resource | undefined,
    obj: KubeObject,
    spec: BindingSpec,
    validating: boolean,
    pathPrefix = 'spec',
  ): CompiledBinding | undefined {
    const kind = obj.kind;
    const name = obj.metadata?.name ?? '';
    const before = this.errors.length;
    if (typeof spec.policyName !== 'string' || spec.policyName === '')
      this.error(r, kind, name, `${pathPrefix}.policyName`, 'Required value');
    const actions = spec.validationActions ?? [];
    if (validating) {
      if (!Array.isArray(actions) || actions.length === 0)
        this.error(
          r,
          kind,
          name,
          `${pathPrefix}.validationActions`,
          'Required value: at least one validation action is required',
        );
      else {
        actions.forEach((a, i) => {
          if (!VALIDATION_ACTIONS.includes(a))
            this.error(
              r,
              kind,
              name,
              `${pathPrefix}.validationActions[${i}]`,
              `Unsupported value: ${JSON.stringify(a)}: supported values: "Audit", "Deny", "Warn"`,
            );
          else if (actions.indexOf(a) !== i)
            this.error(r, kind, name, `${pathPrefix}.validationActions[${i}]`, `Duplicate value: "${a}"`);
        });
        if (actions.includes('Deny') && actions.includes('Warn'))
          this.error(
            r,
            kind,
            name,
            `${pathPrefix}.validationActions`,
            'Invalid value: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
          );
      }
    }
    const ref = spec.paramRef;
    if (ref !== undefined) {
      if (!isObj(ref)) this.error(r, kind, name, `${pathPrefix}.paramRef`, 'must be an object');
      else {
        if (ref.name && ref.selector)
          this.error(
            r,
            kind,
            name,
            `${pathPrefix}.paramRef.name`,
            'Forbidden: name and selector are mutually exclusive',
          );
        if (!ref.name && !ref.selector)
          this.error(
            r,
            kind,
            name,
            `${pathPrefix}.paramRef`,
            'Required value: one of name or selector must be set',
          );
        const a = ref.parameterNotFoundAction;
        if (a !== undefined && a !== 'Allow' && a !== 'Deny')
          this.error(
            r,
            kind,
            name,
            `${pathPrefix}.paramRef.parameterNotFoundAction`,
            `Unsupported value: ${JSON.stringify(a)}: supported values: "Allow", "Deny"`,
          );
      }
    }
    if (this.errors.length > before) return undefined;
    return {
      name,
      policyName: spec.policyName,
      ...(r ? { resource: r } : {}),
      ...(isObj(ref) ? { paramRef: ref } : {}),
      ...(isObj(spec.matchResources) ? { matchResources: spec.matchResources } : {}),
      validationActions: validating ? actions : ['Deny'],
    };
  }
}

function asResource(o: KubeObject | Resource): Resource | undefined {
  return 'ref' in o && 'object' in o && !('apiVersion' in o) ? o : undefined;
}

/**
 * Compiles every policy, binding and CELPolicy among `inputs` (other objects become
 * params). Returns the set plus every error; policies with errors are left out of the set.
 */
export function compilePolicies(
  inputs: readonly (Resource | KubeObject)[],
  options: CompileOptions = {},
): { set: PolicySet; errors: PolicyError[] } {
  const engine =
    options.engine ?? createCelEngine(options.authorizer ? { authorizer: options.authorizer } : {});
  const c = new Compiler(engine);
  const validating: CompiledValidatingPolicy[] = [];
  const mutating: CompiledMutatingPolicy[] = [];
  const vb = new Map<string, CompiledBinding[]>();
  const mb = new Map<string, CompiledBinding[]>();
  const params: KubeObject[] = [...(options.params ?? [])];
  const declared = new Set<string>();
  const addTo = (m: Map<string, CompiledBinding[]>, b: CompiledBinding): void => {
    const l = m.get(b.policyName);
    if (l) l.push(b);
    else m.set(b.policyName, [b]);
  };

  for (const input of inputs) {
    const r = asResource(input);
    const obj = r ? r.object : (input as KubeObject);
    if (!isPolicyObject(obj)) {
      params.push(obj);
      continue;
    }
    const spec = isObj(obj.spec) ? obj.spec : {};
    const name = obj.metadata?.name ?? '';
    if (name === '') {
      c.error(r, obj.kind, '', 'metadata.name', 'Required value: name is required');
      continue;
    }
    if (!obj.kind.endsWith('Binding')) declared.add(name);
    switch (obj.kind) {
      case 'ValidatingAdmissionPolicy': {
        const p = c.validating(r, obj, spec, {});
        if (p) validating.push(p);
        break;
      }
      case 'MutatingAdmissionPolicy': {
        const p = c.mutating(r, obj, spec);
        if (p) mutating.push(p);
        break;
      }
      case 'ValidatingAdmissionPolicyBinding':
      case 'MutatingAdmissionPolicyBinding': {
        const isV = obj.kind === 'ValidatingAdmissionPolicyBinding';
        const b = c.binding(r, obj, spec as unknown as BindingSpec, isV);
        if (b) addTo(isV ? vb : mb, b);
        break;
      }
      default: {
        // CELPolicy: a validating policy plus its binding, named after the policy.
        const p = c.validating(r, obj, spec, spec);
        const b = c.binding(
          r,
          obj,
          {
            policyName: name,
            validationActions: (spec.validationActions as ValidationAction[] | undefined) ?? ['Deny'],
            ...(isObj(spec.paramRef) ? { paramRef: spec.paramRef } : {}),
            ...(isObj(spec.bindingMatchResources) ? { matchResources: spec.bindingMatchResources } : {}),
          },
          true,
        );
        if (p && b) {
          validating.push(p);
          addTo(vb, b);
        }
      }
    }
  }
  const names = new Set([...validating.map((p) => p.name), ...mutating.map((p) => p.name)]);
  for (const [policyName, list] of [...vb, ...mb]) {
    // A binding to a policy that failed to compile is already explained by that policy's errors.
    if (names.has(policyName) || declared.has(policyName)) continue;
    for (const b of list)
      c.error(
        b.resource,
        b.resource?.object.kind ?? 'Binding',
        b.name,
        'spec.policyName',
        `policy "${policyName}" is not among the given objects`,
      );
  }
  for (const p of [...validating, ...mutating]) {
    const bindings = (p.kind === 'ValidatingAdmissionPolicy' ? vb : mb).get(p.name) ?? [];
    for (const b of bindings)
      if (p.paramKind && !b.paramRef)
        c.error(
          b.resource,
          b.resource?.object.kind ?? 'Binding',
          b.name,
          'spec.paramRef',
          `Required value: policy "${p.name}" has paramKind, so the binding must set paramRef`,
        );
  }
  const byKind = new Map<string, KubeObject[]>();
  for (const o of params) {
    const k = `${o.apiVersion}\u0000${o.kind}`;
    const l = byKind.get(k);
    if (l) l.push(o);
    else byKind.set(k, [o]);
  }
  validating.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  mutating.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    set: {
      engine,
      validating,
      mutating,
      validatingBindings: vb,
      mutatingBindings: mb,
      params: { list: (pk) => byKind.get(`${pk.apiVersion}\u0000${pk.kind}`) ?? [] },
    },
    errors: c.errors,
  };
}
