/**
 * Least-privilege suggestions: from the calls a subject made (an audit log), the smallest
 * Roles and ClusterRoles that allow exactly those calls, and how they compare with what
 * the subject holds now.
 */
import { trimChars, type KubeObject } from '../core/index.js';
import type { AuditCall } from './audit.js';
import type { RbacModel } from './model.js';
import { effectiveRules, type EffectiveRule } from './queries.js';
import { ruleAllows } from './rules.js';
import { formatSubject, parseSubject } from './subjects.js';
import type { RbacRule, RbacSubject } from './types.js';

/** Verbs a rule may restrict by resourceNames (requests that carry a name). */
const NAMEABLE = new Set(['get', 'update', 'patch', 'delete']);

/** What one subject did and what is suggested for it. */
export interface Suggestion {
  subject: RbacSubject;
  calls: number;
  /** Rules per scope: `''` cluster-wide (ClusterRole), else a namespace (Role). */
  rules: Map<string, RbacRule[]>;
  objects: KubeObject[];
  /** Current grants, each marked used when an observed call in its scope is allowed by it. */
  current: (EffectiveRule & { used: boolean })[];
}

function subjectOfUser(name: string): RbacSubject {
  const s = parseSubject(name);
  return s.ok && s.value.kind === 'ServiceAccount' ? s.value : { kind: 'User', name };
}

function slug(s: RbacSubject): string {
  const raw = s.kind === 'ServiceAccount' ? `sa-${s.namespace ?? ''}-${s.name}` : `user-${s.name}`;
  return trimChars(raw.toLowerCase().replace(/[^a-z0-9.-]+/g, '-'), '-').slice(0, 200);
}

interface Use {
  verbs: Map<string, Set<string> | null>;
}

/**
 * Builds the minimal rules covering `calls`: one rule per API group and set of verbs
 * (resources merged), resourceNames kept for get/update/patch/delete when every such call
 * named its object, no wildcards.
 */
export function minimalRules(calls: readonly AuditCall[]): Map<string, RbacRule[]> {
  // scope -> group -> combined resource -> verb -> names (null = unnamed calls seen)
  const uses = new Map<string, Map<string, Map<string, Use>>>();
  const urls = new Map<string, Set<string>>();
  for (const c of calls) {
    const a = c.attrs;
    if (!a.resourceRequest) {
      let verbs = urls.get(a.path);
      if (!verbs) urls.set(a.path, (verbs = new Set()));
      verbs.add(a.verb);
      continue;
    }
    const scope = a.namespace;
    const combined = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
    let byGroup = uses.get(scope);
    if (!byGroup) uses.set(scope, (byGroup = new Map<string, Map<string, Use>>()));
    let byRes = byGroup.get(a.apiGroup);
    if (!byRes) byGroup.set(a.apiGroup, (byRes = new Map<string, Use>()));
    let use = byRes.get(combined);
    if (!use) byRes.set(combined, (use = { verbs: new Map() }));
    const named = a.name !== '' && NAMEABLE.has(a.verb);
    const prev = use.verbs.get(a.verb);
    if (!named) use.verbs.set(a.verb, null);
    else if (prev === undefined) use.verbs.set(a.verb, new Set([a.name]));
    else if (prev !== null) prev.add(a.name);
  }
  const out = new Map<string, RbacRule[]>();
  for (const scope of [...uses.keys()].sort()) {
    const rules: RbacRule[] = [];
    const byGroup = uses.get(scope) ?? new Map<string, Map<string, Use>>();
    for (const group of [...byGroup.keys()].sort()) {
      // key: verbs|names -> resources
      const merged = new Map<string, { verbs: string[]; names: string[]; resources: string[] }>();
      const byRes = byGroup.get(group) ?? new Map<string, Use>();
      for (const res of [...byRes.keys()].sort()) {
        const use = byRes.get(res);
        if (!use) continue;
        const unnamed = [...use.verbs]
          .filter(([, n]) => n === null)
          .map(([v]) => v)
          .sort();
        const named = [...use.verbs].filter(([, n]) => n !== null);
        const groupsOfVerbs: { verbs: string[]; names: string[] }[] = [];
        if (unnamed.length > 0) groupsOfVerbs.push({ verbs: unnamed, names: [] });
        // Named verbs sharing one name set become one rule.
        const byNames = new Map<string, string[]>();
        for (const [v, n] of named) {
          const k = [...(n ?? [])].sort().join('\u0000');
          const l = byNames.get(k);
          if (l) l.push(v);
          else byNames.set(k, [v]);
        }
        for (const [k, verbs] of byNames)
          groupsOfVerbs.push({ verbs: verbs.sort(), names: k.split('\u0000') });
        for (const gv of groupsOfVerbs) {
          const key = `${gv.verbs.join(',')}|${gv.names.join(',')}`;
          const m = merged.get(key);
          if (m) m.resources.push(res);
          else merged.set(key, { verbs: gv.verbs, names: gv.names, resources: [res] });
        }
      }
      for (const m of merged.values())
        rules.push({
          verbs: m.verbs,
          apiGroups: [group],
          resources: m.resources,
          resourceNames: m.names,
          nonResourceURLs: [],
        });
    }
    out.set(scope, rules);
  }
  if (urls.size > 0) {
    const byVerbs = new Map<string, string[]>();
    for (const [path, verbs] of [...urls].sort(([a], [b]) => a.localeCompare(b))) {
      const k = [...verbs].sort().join(',');
      const l = byVerbs.get(k);
      if (l) l.push(path);
      else byVerbs.set(k, [path]);
    }
    const list = out.get('') ?? [];
    for (const [k, paths] of byVerbs)
      list.push({
        verbs: k.split(','),
        apiGroups: [],
        resources: [],
        resourceNames: [],
        nonResourceURLs: paths,
      });
    out.set('', list);
  }
  return out;
}

function ruleObject(r: RbacRule): Record<string, string[]> {
  if (r.nonResourceURLs.length > 0) return { nonResourceURLs: [...r.nonResourceURLs], verbs: [...r.verbs] };
  return {
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    ...(r.resourceNames.length > 0 ? { resourceNames: [...r.resourceNames] } : {}),
    verbs: [...r.verbs],
  };
}

function subjectObject(s: RbacSubject): Record<string, string> {
  return s.kind === 'ServiceAccount'
    ? { kind: 'ServiceAccount', name: s.name, namespace: s.namespace ?? 'default' }
    : { kind: s.kind, name: s.name, apiGroup: 'rbac.authorization.k8s.io' };
}

/** The Role/ClusterRole and binding objects granting `rules` to `subject`. */
export function suggestedObjects(subject: RbacSubject, rules: Map<string, RbacRule[]>): KubeObject[] {
  const name = `palisade-suggested-${slug(subject)}`;
  const out: KubeObject[] = [];
  const annotations = { 'palisade.dev/suggested-from': 'audit-log' };
  for (const [scope, list] of rules) {
    if (list.length === 0) continue;
    const cluster = scope === '';
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: cluster ? 'ClusterRole' : 'Role',
      metadata: { name, ...(cluster ? {} : { namespace: scope }), annotations },
      rules: list.map(ruleObject),
    });
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: cluster ? 'ClusterRoleBinding' : 'RoleBinding',
      metadata: { name, ...(cluster ? {} : { namespace: scope }), annotations },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: cluster ? 'ClusterRole' : 'Role', name },
      subjects: [subjectObject(subject)],
    });
  }
  return out;
}

/** Options of {@link suggestRoles}. */
export interface SuggestOptions {
  /** Only these subjects (default: every subject seen in the calls). */
  subjects?: readonly RbacSubject[];
  /** Current grants to compare with. */
  model?: RbacModel;
  /**
   * Only one namespace: the calls made in it (cluster-scoped calls and non-resource URLs are
   * left out), so only a Role and RoleBinding of it are suggested, compared with the grants
   * of its RoleBindings (to Roles or ClusterRoles).
   */
  namespace?: string;
}

/** Suggests minimal roles for every subject seen in the calls, sorted by subject. */
export function suggestRoles(calls: readonly AuditCall[], options: SuggestOptions = {}): Suggestion[] {
  const bySubject = new Map<string, { subject: RbacSubject; calls: AuditCall[] }>();
  const wanted = options.subjects?.map(formatSubject);
  const only = options.namespace;
  for (const c of calls) {
    if (only !== undefined && !(c.attrs.resourceRequest && c.attrs.namespace === only)) continue;
    const subject = subjectOfUser(c.user.name);
    const k = formatSubject(subject);
    if (wanted && !wanted.includes(k)) continue;
    let e = bySubject.get(k);
    if (!e) bySubject.set(k, (e = { subject, calls: [] }));
    e.calls.push(c);
  }
  const out: Suggestion[] = [];
  for (const k of [...bySubject.keys()].sort()) {
    const e = bySubject.get(k);
    if (!e) continue;
    const rules = minimalRules(e.calls);
    const first = e.calls[0];
    const current =
      options.model && first
        ? effectiveRules(options.model, first.user)
            .filter((r) => only === undefined || r.namespace === only)
            .map((r) => ({
              ...r,
              used: e.calls.some(
                (c) =>
                  ruleAllows(r.rule, c.attrs) &&
                  (r.namespace === '' || (c.attrs.resourceRequest && c.attrs.namespace === r.namespace)),
              ),
            }))
        : [];
    out.push({
      subject: e.subject,
      calls: e.calls.length,
      rules,
      objects: suggestedObjects(e.subject, rules),
      current,
    });
  }
  return out;
}
