/**
 * Whether an API server accepts anonymous requests, from its `--anonymous-auth` flag and the
 * `anonymous` section of its structured authentication configuration (the file named by
 * `--authentication-config`, kind AuthenticationConfiguration, Kubernetes 1.32+). Pure: every
 * scan mode (manifests, `node scan`, `scan --cluster`) reads the inputs its own way and asks
 * here.
 *
 * The API server's rules: `anonymous.enabled: false` (or the key absent) turns anonymous
 * requests off; `enabled: true` without conditions lets every path through as
 * system:anonymous; with conditions, only requests whose path equals one condition's `path`.
 * The flag and the section are mutually exclusive: the API server refuses to start with both.
 * Without the section, the flag decides, and the flag's default is enabled.
 */

/** The paths anonymous requests may reach without exposing anything but liveness. */
export const HEALTH_PATHS: readonly string[] = ['/healthz', '/livez', '/readyz'];

/** The AuthenticationConfiguration apiVersions that may carry an `anonymous` section. */
export const AUTHENTICATION_CONFIG_VERSIONS: readonly string[] = [
  'apiserver.config.k8s.io/v1alpha1',
  'apiserver.config.k8s.io/v1beta1',
  'apiserver.config.k8s.io/v1',
];

/** What is known of the authentication configuration file. */
export type AuthenticationConfigInput =
  /** No `--authentication-config` flag. */
  | { kind: 'none' }
  /** The flag names a file this scan cannot see (a cluster scan, a file not among the inputs). */
  | { kind: 'not-visible'; path: string }
  /** The file could not be read or parsed. */
  | { kind: 'error'; path: string; error: string }
  /** The decoded document. */
  | { kind: 'read'; path: string; document: unknown };

/** What the verdict rests on, for the caller to place it (flag, file section, one condition). */
export type AnonymousBasis =
  | { at: 'flag' }
  | { at: 'flag-default' }
  | { at: 'file' }
  | { at: 'section' }
  | { at: 'enabled' }
  | { at: 'condition'; index: number };

/** The decision: `error` is "could not check", never a pass. */
export interface AnonymousDecision {
  status: 'pass' | 'fail' | 'error';
  message: string;
  basis: AnonymousBasis;
  /** A remark on a pass (anonymous requests limited to health endpoints). */
  note?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Booleans as the API server's decoder and YAML 1.1 spell them. */
function boolOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && (v === 'true' || v === 'false')) return v === 'true';
  return undefined;
}

/** The verdict on an `anonymous` section alone (enabled, conditions). */
export function judgeAnonymousSection(section: unknown, file: string): AnonymousDecision {
  if (!isRecord(section))
    return {
      status: 'error',
      message: `could not check: the anonymous section of ${file} is not a mapping`,
      basis: { at: 'section' },
    };
  const raw = section['enabled'];
  const enabled = raw === undefined || raw === null ? false : boolOf(raw);
  if (enabled === undefined)
    return {
      status: 'error',
      message: `could not check: anonymous.enabled of ${file} is ${JSON.stringify(raw)}, not true or false`,
      basis: { at: 'enabled' },
    };
  if (!enabled)
    return {
      status: 'pass',
      message: `${file} sets anonymous.enabled: false`,
      basis: raw === undefined ? { at: 'section' } : { at: 'enabled' },
    };
  const conditions = section['conditions'];
  if (
    conditions === undefined ||
    conditions === null ||
    (Array.isArray(conditions) && conditions.length === 0)
  )
    return {
      status: 'fail',
      message: `${file} enables anonymous requests without conditions: every path is open to system:anonymous`,
      basis: { at: 'enabled' },
    };
  if (!Array.isArray(conditions))
    return {
      status: 'fail',
      message: `${file}: anonymous.conditions is not a list, so the paths anonymous requests reach are unknown`,
      basis: { at: 'enabled' },
    };
  const paths: string[] = [];
  for (const [index, c] of conditions.entries()) {
    const p = isRecord(c) ? c['path'] : undefined;
    if (typeof p !== 'string')
      return {
        status: 'fail',
        message: `${file}: anonymous.conditions[${index}] has no path, so the paths anonymous requests reach are unknown`,
        basis: { at: 'condition', index },
      };
    if (!HEALTH_PATHS.includes(p))
      return {
        status: 'fail',
        message: `${file} lets anonymous requests reach ${p}, which is not a health endpoint (${HEALTH_PATHS.join(', ')})`,
        basis: { at: 'condition', index },
      };
    paths.push(p);
  }
  return {
    status: 'pass',
    message: `${file} enables anonymous requests for health endpoints only`,
    basis: { at: 'enabled' },
    note: `anonymous requests are allowed to ${[...new Set(paths)].join(', ')} only`,
  };
}

/**
 * The API server's anonymous verdict from its flag (the last `--anonymous-auth` value, or
 * undefined) and what is known of its authentication configuration file.
 */
export function decideApiServerAnonymous(
  flag: string | undefined,
  config: AuthenticationConfigInput,
): AnonymousDecision {
  if (config.kind === 'error')
    return {
      status: 'error',
      message: `could not check: the authentication configuration ${config.path} cannot be read (${config.error})`,
      basis: { at: 'file' },
    };
  if (config.kind === 'read') {
    const doc = config.document;
    if (!isRecord(doc))
      return {
        status: 'error',
        message: `could not check: ${config.path} is not an AuthenticationConfiguration (not a mapping)`,
        basis: { at: 'file' },
      };
    if (doc['kind'] !== 'AuthenticationConfiguration')
      return {
        status: 'error',
        message: `could not check: ${config.path} is not an AuthenticationConfiguration (kind ${JSON.stringify(doc['kind'] ?? null)})`,
        basis: { at: 'file' },
      };
    const section = doc['anonymous'];
    if (section !== undefined && section !== null) {
      if (flag !== undefined)
        return {
          status: 'fail',
          message: `kube-apiserver sets --anonymous-auth=${flag} and ${config.path} has an anonymous section: the API server refuses to start with both; keep one`,
          basis: { at: 'flag' },
        };
      return judgeAnonymousSection(section, config.path);
    }
  }
  const because =
    config.kind === 'read'
      ? ` (${config.path} has no anonymous section)`
      : config.kind === 'not-visible'
        ? ` unless the anonymous section of ${config.path} (not visible to this scan) says otherwise`
        : '';
  if (flag === 'false')
    return {
      status: 'pass',
      message: 'kube-apiserver runs with --anonymous-auth=false',
      basis: { at: 'flag' },
    };
  if (flag !== undefined)
    return {
      status: 'fail',
      message: `kube-apiserver runs with --anonymous-auth=${flag}: anonymous requests are allowed`,
      basis: { at: 'flag' },
    };
  return {
    status: 'fail',
    message: `kube-apiserver does not set --anonymous-auth=false: anonymous requests are allowed by default${because}`,
    basis: { at: 'flag-default' },
  };
}
