/**
 * `palisade policy export`: turns Palisade CELPolicy objects into the native
 * ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding the API server runs.
 * Native policies and bindings pass through unchanged.
 */
import type { KubeObject } from '../core/index.js';
import { ADMISSION_GROUP, PALISADE_POLICY_KIND } from './types.js';

const VAP_FIELDS = [
  'paramKind',
  'matchConstraints',
  'failurePolicy',
  'auditAnnotations',
  'matchConditions',
  'variables',
];

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The native objects for one input object (a CELPolicy becomes a policy and its binding). */
export function exportNative(obj: KubeObject): KubeObject[] {
  if (obj.kind !== PALISADE_POLICY_KIND) return [obj];
  const spec = isObj(obj.spec) ? obj.spec : {};
  const name = obj.metadata?.name ?? '';
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  if (typeof spec.severity === 'string') annotations['palisade.dev/severity'] = spec.severity;
  if (spec.autogen === false) annotations['palisade.dev/autogen'] = 'false';
  const metadata: Record<string, unknown> = { name };
  if (obj.metadata?.labels) metadata.labels = obj.metadata.labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const vapSpec: Record<string, unknown> = {};
  for (const f of VAP_FIELDS) if (spec[f] !== undefined) vapSpec[f] = spec[f];
  if (Array.isArray(spec.validations)) {
    // fieldPath is a Palisade extension the API server would reject.
    vapSpec.validations = spec.validations.map((v: unknown) => {
      if (!isObj(v)) return v;
      const copy: Record<string, unknown> = { ...v };
      Reflect.deleteProperty(copy, 'fieldPath');
      return copy;
    });
  }
  const bindingSpec: Record<string, unknown> = {
    policyName: name,
    validationActions: spec.validationActions ?? ['Deny'],
  };
  if (spec.paramRef !== undefined) bindingSpec.paramRef = spec.paramRef;
  if (spec.bindingMatchResources !== undefined) bindingSpec.matchResources = spec.bindingMatchResources;
  return [
    { apiVersion: `${ADMISSION_GROUP}/v1`, kind: 'ValidatingAdmissionPolicy', metadata, spec: vapSpec },
    {
      apiVersion: `${ADMISSION_GROUP}/v1`,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: bindingSpec,
    },
  ];
}
