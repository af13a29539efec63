import { allBindings, type RbacModel } from './model.js';
import { bindingLabel, roleLabel, type Via } from './queries.js';
import { formatRule, ruleKey } from './rules.js';
import type { RbacRule, RbacSubject } from './types.js';

/** One permission a subject gained or lost: a rule in a scope and the binding it came through. */
export interface RbacChange {
  change: 'gained' | 'lost';
  subject: RbacSubject;
  /** `''` cluster-wide, else the namespace. */
  namespace: string;
  rule: RbacRule;
  via: Via;
}

function grants(
  model: RbacModel,
): Map<string, { subject: RbacSubject; namespace: string; rule: RbacRule; via: Via }> {
  const out = new Map<string, { subject: RbacSubject; namespace: string; rule: RbacRule; via: Via }>();
  for (const b of allBindings(model)) {
    const role = b.role;
    if (!role) continue;
    const via = { binding: bindingLabel(b), role: roleLabel(role) };
    for (const s of b.subjects) {
      const subject: RbacSubject =
        s.kind === 'ServiceAccount' ? { ...s, namespace: s.namespace ?? b.namespace ?? '' } : s;
      const sk =
        subject.kind === 'ServiceAccount'
          ? `${subject.kind}:${subject.namespace ?? ''}:${subject.name}`
          : `${subject.kind}:${subject.name}`;
      for (const rule of role.rules) {
        const namespace = b.namespace ?? '';
        out.set(`${sk}\u0000${namespace}\u0000${ruleKey(rule)}\u0000${via.binding}\u0000${via.role}`, {
          subject,
          namespace,
          rule,
          via,
        });
      }
    }
  }
  return out;
}

/**
 * Who gained or lost what between two models: every (subject, scope, rule, binding, role)
 * present in one and not the other, so a rule added to a shared role shows for every
 * subject bound to it.
 */
export function diffRbac(base: RbacModel, head: RbacModel): RbacChange[] {
  const before = grants(base);
  const after = grants(head);
  const out: RbacChange[] = [];
  for (const [k, g] of after) if (!before.has(k)) out.push({ change: 'gained', ...g });
  for (const [k, g] of before) if (!after.has(k)) out.push({ change: 'lost', ...g });
  const sk = (c: RbacChange): string => `${c.subject.kind}:${c.subject.namespace ?? ''}:${c.subject.name}`;
  return out.sort(
    (a, b) =>
      sk(a).localeCompare(sk(b)) ||
      a.change.localeCompare(b.change) ||
      a.namespace.localeCompare(b.namespace),
  );
}

/** Renders changes as text, one line each. */
export function renderDiffText(changes: readonly RbacChange[]): string {
  if (changes.length === 0) return 'No RBAC changes.\n';
  return (
    changes
      .map((c) => {
        const who =
          c.subject.kind === 'ServiceAccount'
            ? `ServiceAccount ${c.subject.namespace ?? ''}/${c.subject.name}`
            : `${c.subject.kind} ${c.subject.name}`;
        const where = c.namespace === '' ? 'cluster-wide' : `in ${c.namespace}`;
        return `${c.change === 'gained' ? '+' : '-'} ${who} ${where}: ${formatRule(c.rule)}  [${c.via.binding} → ${c.via.role}]`;
      })
      .join('\n') + '\n'
  );
}
