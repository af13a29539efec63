/**
 * The dashboard API's contract: zod schemas of every query and response under `/api/v1/`, and
 * the TypeScript types inferred from them. The server validates queries with these schemas,
 * `docs/api/openapi.json` is generated from them, and the UI imports the types. Shapes are
 * stable once shipped: add optional fields, never rename or remove one.
 *
 * Conventions: times are milliseconds since the epoch; a namespace `''` means cluster-scoped;
 * list responses carry `items` plus paging fields; every error is `{ error: { code, message } }`.
 */
import { z } from 'zod';

/** The API's path prefix. */
export const API_PREFIX = '/api/v1';

/** Most rows one page may hold; larger `limit` values are refused, not clamped silently. */
export const MAX_PAGE_LIMIT = 500;

/** Most characters a free-text filter (`q`, names) may hold. */
export const MAX_FILTER_LENGTH = 200;

export const SeveritySchema = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type ApiSeverity = z.infer<typeof SeveritySchema>;

export const RoleSchema = z.enum(['viewer', 'admin']);
export type ApiRole = z.infer<typeof RoleSchema>;

const SeverityCounts = z.object({
  critical: z.number().int(),
  high: z.number().int(),
  medium: z.number().int(),
  low: z.number().int(),
  info: z.number().int(),
});
export const SeverityCountsSchema = SeverityCounts;
export type SeverityCounts = z.infer<typeof SeverityCounts>;

// ---------------------------------------------------------------------------------------------
// Query helpers: query strings arrive as text; these parse them strictly.

const text = z.string().max(MAX_FILTER_LENGTH);
/** A comma-separated list in one query parameter (`severity=critical,high`), split and trimmed. */
const csvText = z
  .string()
  .max(MAX_FILTER_LENGTH * 4)
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  );
const csvOfText = csvText.pipe(z.array(text).max(50));
const csvOfSeverity = csvText.pipe(z.array(SeveritySchema).max(5));
const intParam = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const booleanParam = z.enum(['true', 'false']).transform((v) => v === 'true');
/** A scan id; `latest` is the default everywhere a scan is optional. */
const scanIdParam = intParam(1, Number.MAX_SAFE_INTEGER);

/** Cluster selection shared by most endpoints: the cluster's name; default the only (or most recently scanned) one. */
export const ClusterQuerySchema = z.object({ cluster: text.optional() }).strict();
export type ClusterQuery = z.infer<typeof ClusterQuerySchema>;

// ---------------------------------------------------------------------------------------------
// Errors

export const ErrorBodySchema = z.object({
  error: z.object({
    /** Stable snake_case code: `bad_request`, `unauthorized`, `forbidden`, `csrf_missing`, `not_found`, `too_large`, `unavailable`, `internal`. */
    code: z.string(),
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

// ---------------------------------------------------------------------------------------------
// Session and authentication

export const SessionSchema = z.object({
  authenticated: z.boolean(),
  /** How this request was authenticated: `none` when the server runs with `--no-auth`. */
  method: z.enum(['none', 'token', 'oidc']).nullable(),
  role: RoleSchema.nullable(),
  /** The token's label (`token #N`) or the OIDC subject/email; never a credential. */
  subject: z.string().nullable(),
  /** Send back as `X-CSRF-Token` on every POST/PUT/PATCH/DELETE; null when not authenticated by cookie. */
  csrfToken: z.string().nullable(),
  /** Which login methods the server offers. */
  login: z.object({
    token: z.boolean(),
    /** Where the browser goes to sign in with OIDC; null when OIDC is not configured. */
    oidcUrl: z.string().nullable(),
  }),
  /** Session expiry, when a session cookie is in use. */
  expiresAt: z.number().int().nullable(),
});
export type Session = z.infer<typeof SessionSchema>;

/** `POST /auth/login`: trade a bearer token for a session cookie. */
export const LoginBodySchema = z.object({ token: z.string().min(1).max(4096) }).strict();
export type LoginBody = z.infer<typeof LoginBodySchema>;

// ---------------------------------------------------------------------------------------------
// Scans

export const ScoreSchema = z.object({
  framework: z.string(),
  /** 0–100. */
  score: z.number(),
  passed: z.number().int(),
  failed: z.number().int(),
  applicable: z.number().int(),
});
export type Score = z.infer<typeof ScoreSchema>;

export const ScanSchema = z.object({
  id: z.number().int(),
  cluster: z.string(),
  time: z.number().int(),
  /** `cluster`, `snapshot` or `manifests`. */
  source: z.string(),
  sourceDetail: z.string(),
  palisadeVersion: z.string(),
  kubernetesVersion: z.string().optional(),
  /** Namespaces the scan covered; absent when it covered all. */
  scope: z.array(z.string()).optional(),
  resources: z.number().int(),
  /** Open, unsuppressed findings. */
  findings: z.number().int(),
  suppressed: z.number().int(),
  bySeverity: SeverityCounts,
  inputErrors: z.number().int(),
  scores: z.array(ScoreSchema),
  /** Row counts; null when the scan did not record them. */
  rbacGrants: z.number().int().nullable(),
  reachability: z.number().int().nullable(),
});
export type Scan = z.infer<typeof ScanSchema>;

export const ScansQuerySchema = z
  .object({
    cluster: text.optional(),
    limit: intParam(1, MAX_PAGE_LIMIT).default(50),
    offset: intParam(0, 1_000_000).default(0),
  })
  .strict();
export type ScansQuery = z.infer<typeof ScansQuerySchema>;

export const ScansResponseSchema = z.object({
  clusters: z.array(z.string()),
  items: z.array(ScanSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type ScansResponse = z.infer<typeof ScansResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Findings

export const FINDING_SORT_FIELDS = [
  'severity',
  'controlId',
  'namespace',
  'kind',
  'name',
  'firstSeen',
  'lastSeen',
] as const;
export const FindingSortSchema = z.enum(FINDING_SORT_FIELDS);
export type FindingSort = z.infer<typeof FindingSortSchema>;

export const FindingsQuerySchema = z
  .object({
    cluster: text.optional(),
    /** A scan id: the findings that scan saw. Default: the cluster's findings now (its latest scan). */
    scan: scanIdParam.optional(),
    /** `open` (default), `resolved` or `all`; `resolved`/`all` only without `scan`. */
    status: z.enum(['open', 'resolved', 'all']).default('open'),
    severity: csvOfSeverity.optional(),
    namespace: csvOfText.optional(),
    controlId: csvOfText.optional(),
    kind: csvOfText.optional(),
    /** Exact object name. */
    name: text.optional(),
    /** A framework id (`cis`, `nsa`, `pss-restricted`, …): findings of controls it maps. */
    framework: text.optional(),
    /** Case-insensitive substring of title, message, name or control id. */
    q: text.optional(),
    /** Include suppressed findings (flagged); default false. */
    suppressed: booleanParam.default(false),
    sort: FindingSortSchema.default('severity'),
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: intParam(1, MAX_PAGE_LIMIT).default(50),
    offset: intParam(0, 1_000_000).default(0),
  })
  .strict();
export type FindingsQuery = z.infer<typeof FindingsQuerySchema>;

export const FindingExceptionSchema = z.object({
  reason: z.string(),
  owner: z.string(),
  /** ISO date, when the exception expires. */
  expires: z.string().optional(),
});

export const FindingSchema = z.object({
  /** Stable across scans (hash of control, object and field path). */
  fingerprint: z.string(),
  controlId: z.string(),
  title: z.string(),
  severity: SeveritySchema,
  namespace: z.string(),
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  fieldPath: z.string(),
  message: z.string(),
  /** `file:line:column` for manifests; absent for live objects (the object and field path locate it). */
  location: z.string().optional(),
  remediation: z.string().optional(),
  /** Framework ids whose requirements this control maps to. */
  frameworks: z.array(z.string()),
  firstSeen: z.number().int(),
  lastSeen: z.number().int(),
  resolvedAt: z.number().int().optional(),
  suppressed: z.boolean(),
  /** The exception that suppresses it, when one does. */
  exception: FindingExceptionSchema.optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const FindingsResponseSchema = z.object({
  items: z.array(FindingSchema),
  /** Matching rows, counted up to {@link MAX_COUNT}; `totalExact` false when more matched. */
  total: z.number().int(),
  totalExact: z.boolean(),
  limit: z.number().int(),
  offset: z.number().int(),
  /** The scan the page is of (the latest when none was asked for); null when the store holds none. */
  scanId: z.number().int().nullable(),
});
export type FindingsResponse = z.infer<typeof FindingsResponseSchema>;

/** Matching findings are counted exactly up to this many. */
export const MAX_COUNT = 100_000;

// ---------------------------------------------------------------------------------------------
// Overview: scores over time, summary, changes, top risks

export const ScoresQuerySchema = z
  .object({
    cluster: text.optional(),
    framework: text.optional(),
    /** Start time; default 90 days ago. */
    since: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();
export type ScoresQuery = z.infer<typeof ScoresQuerySchema>;

export const ScoresResponseSchema = z.object({
  cluster: z.string().nullable(),
  frameworks: z.array(
    z.object({
      framework: z.string(),
      points: z.array(z.object({ scanId: z.number().int(), time: z.number().int(), score: z.number() })),
    }),
  ),
});
export type ScoresResponse = z.infer<typeof ScoresResponseSchema>;

export const SummaryResponseSchema = z.object({
  cluster: z.string().nullable(),
  /** The latest scan; null when the store holds none. */
  scan: ScanSchema.nullable(),
  /** Open, unsuppressed findings now. */
  bySeverity: SeverityCounts,
  /** Per namespace, most findings first (at most 50 namespaces; the rest summed in `other`). */
  byNamespace: z.array(
    z.object({ namespace: z.string(), total: z.number().int(), bySeverity: SeverityCounts }),
  ),
  other: z.object({ namespaces: z.number().int(), total: z.number().int() }),
});
export type SummaryResponse = z.infer<typeof SummaryResponseSchema>;

export const DriftFindingSchema = z.object({
  fingerprint: z.string(),
  controlId: z.string(),
  severity: SeveritySchema,
  namespace: z.string(),
  kind: z.string(),
  name: z.string(),
  fieldPath: z.string(),
  title: z.string(),
  location: z.string().optional(),
  suppressed: z.boolean().optional(),
});
export type DriftFinding = z.infer<typeof DriftFindingSchema>;

export const ChangesResponseSchema = z.object({
  cluster: z.string().nullable(),
  /** The scan before the latest; null when there is only one (everything is then "opened"). */
  base: ScanSchema.nullable(),
  head: ScanSchema.nullable(),
  opened: z.array(DriftFindingSchema),
  closed: z.array(DriftFindingSchema),
  unchanged: z.number().int(),
  /** Lists cut at 200 rows; the counts are exact. */
  openedCount: z.number().int(),
  closedCount: z.number().int(),
  scores: z.array(z.object({ framework: z.string(), before: z.number().nullable(), after: z.number() })),
});
export type ChangesResponse = z.infer<typeof ChangesResponseSchema>;

export const TopRisksQuerySchema = z
  .object({ cluster: text.optional(), limit: intParam(1, 100).default(10) })
  .strict();
export type TopRisksQuery = z.infer<typeof TopRisksQuerySchema>;

export const RiskyWorkloadSchema = z.object({
  namespace: z.string(),
  kind: z.string(),
  name: z.string(),
  /** Weighted sum: critical 10, high 5, medium 2, low 1, info 0. */
  score: z.number(),
  findings: z.number().int(),
  bySeverity: SeverityCounts,
});
export const RiskyIdentitySchema = z.object({
  /** Escalation-graph node id: `user:NAME`, `group:NAME`, `sa:NS:NAME`. */
  id: z.string(),
  label: z.string(),
  /** Targets it can reach (`cluster-admin`, `node`, `admission-bypass`). */
  reaches: z.array(z.string()),
  /** Fewest hops to any target. */
  shortest: z.number().int(),
  score: z.number(),
});
export const TopRisksResponseSchema = z.object({
  workloads: z.array(RiskyWorkloadSchema),
  identities: z.array(RiskyIdentitySchema),
  /** Why identities is empty, when it is (no RBAC inputs). */
  identitiesNote: z.string().optional(),
});
export type RiskyWorkload = z.infer<typeof RiskyWorkloadSchema>;
export type RiskyIdentity = z.infer<typeof RiskyIdentitySchema>;
export type TopRisksResponse = z.infer<typeof TopRisksResponseSchema>;

// ---------------------------------------------------------------------------------------------
// RBAC

export const WhoCanQuerySchema = z
  .object({
    verb: z.string().min(1).max(64),
    resource: z.string().min(1).max(128),
    /** Empty or absent: cluster-wide. */
    namespace: text.optional(),
    apiGroup: text.optional(),
    subresource: text.optional(),
    name: text.optional(),
  })
  .strict();
export type WhoCanQuery = z.infer<typeof WhoCanQuerySchema>;

export const ViaSchema = z.object({
  /** `ClusterRoleBinding/NAME` or `RoleBinding/NS/NAME`. */
  binding: z.string(),
  /** `ClusterRole/NAME` or `Role/NS/NAME`. */
  role: z.string(),
  group: z.string().optional(),
});
export const WhoCanSubjectSchema = z.object({
  kind: z.enum(['User', 'Group', 'ServiceAccount']),
  name: z.string(),
  namespace: z.string().optional(),
  /** The binding path: each binding and role that grants the request. */
  via: z.array(ViaSchema),
});
export const WhoCanResponseSchema = z.object({
  /** The inputs the answer came from (`demo cluster`, `manifests …`). */
  source: z.string(),
  query: z.object({
    verb: z.string(),
    resource: z.string(),
    apiGroup: z.string(),
    subresource: z.string(),
    namespace: z.string(),
    name: z.string(),
  }),
  subjects: z.array(WhoCanSubjectSchema),
  /** Groups allowed everything ahead of RBAC (always `system:masters`). */
  privilegedGroups: z.array(z.string()),
  /** True when the list was cut at 1,000 subjects. */
  truncated: z.boolean(),
});
export type WhoCanSubject = z.infer<typeof WhoCanSubjectSchema>;
export type WhoCanResponse = z.infer<typeof WhoCanResponseSchema>;

/** One rule a subject holds and did not use in the audit window. */
export const UnusedRightSchema = z.object({
  /** `User:alice`, `ServiceAccount:ns:name`, … */
  subject: z.string(),
  /** Where the rule applies: a namespace, or '' for cluster-wide. */
  namespace: z.string(),
  /** The rule as `verbs resources [groups]`. */
  rule: z.string(),
  /** The bindings and roles that grant it (`binding → role`). */
  via: z.array(z.string()),
  /** Calls the subject made in the audit window (0: never seen). */
  calls: z.number().int(),
});
export const UnusedRightsResponseSchema = z.object({
  source: z.string(),
  /** Where the calls came from (the audit log file), or absent when there is none. */
  auditLog: z.string().optional(),
  /** When no audit log is loaded: what enables the list. */
  enabledBy: z.string().optional(),
  rights: z.array(UnusedRightSchema),
  /** True when the list was cut at 2,000 rows. */
  truncated: z.boolean(),
});
export type UnusedRight = z.infer<typeof UnusedRightSchema>;
export type UnusedRightsResponse = z.infer<typeof UnusedRightsResponseSchema>;

export const RbacGraphQuerySchema = z
  .object({
    /** Source node ids (comma-separated); default every identity. */
    from: csvOfText.optional(),
    /** Target node ids; default `cluster-admin,node,admission-bypass`. */
    to: csvOfText.optional(),
  })
  .strict();
export type RbacGraphQuery = z.infer<typeof RbacGraphQuerySchema>;

export const EscalationEdgeSchema = z.object({
  from: z.string(),
  to: z.string(),
  /** A stable edge code (`create_pods`, `bind_roles`, `member_of`, …). */
  kind: z.string(),
  explain: z.string(),
  via: ViaSchema.optional(),
});
export const RbacGraphResponseSchema = z.object({
  source: z.string(),
  /** Only the nodes and edges on a path. */
  nodes: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      /** `identity` (user/group/ServiceAccount), `capability` or `target`. */
      type: z.enum(['identity', 'capability', 'target']),
    }),
  ),
  edges: z.array(EscalationEdgeSchema),
  paths: z.array(
    z.object({
      from: z.string(),
      fromLabel: z.string(),
      to: z.string(),
      toLabel: z.string(),
      hops: z.array(EscalationEdgeSchema),
      members: z.array(z.string()).optional(),
    }),
  ),
  /** True when paths were cut at 500. */
  truncated: z.boolean(),
});
export type EscalationEdgeDto = z.infer<typeof EscalationEdgeSchema>;
export type RbacGraphResponse = z.infer<typeof RbacGraphResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Network

export const NetworkQuerySchema = z
  .object({
    /** Keep connections touching these namespaces (comma-separated); default all. */
    namespace: csvOfText.optional(),
  })
  .strict();
export type NetworkQuery = z.infer<typeof NetworkQuerySchema>;

export const ConnectionSchema = z.object({
  /** `ns/name[Kind]`, or an external range `0.0.0.0-255.255.255.255[External]`. */
  src: z.string(),
  dst: z.string(),
  /** Allowed protocols and ports (`All Connections`, `TCP 8080,UDP 53`). */
  conn: z.string(),
});
export type ConnectionDto = z.infer<typeof ConnectionSchema>;

export const MatrixResponseSchema = z.object({
  source: z.string(),
  rows: z.array(ConnectionSchema),
  total: z.number().int(),
  /** True when rows were cut at 20,000. */
  truncated: z.boolean(),
});
export type MatrixResponse = z.infer<typeof MatrixResponseSchema>;

export const NetworkNodeSchema = z.object({
  id: z.string(),
  type: z.enum(['workload', 'external']),
  /** `''` for external peers. */
  namespace: z.string(),
  kind: z.string(),
  name: z.string(),
  /** A NetworkPolicy selects it for ingress / egress. */
  ingressIsolated: z.boolean(),
  egressIsolated: z.boolean(),
  /** Reachable from an external range. */
  exposed: z.boolean(),
});
export const NetworkGraphResponseSchema = z.object({
  source: z.string(),
  namespaces: z.array(
    z.object({
      name: z.string(),
      workloads: z.number().int(),
      /** Every workload of the namespace is isolated for that direction. */
      defaultDenyIngress: z.boolean(),
      defaultDenyEgress: z.boolean(),
    }),
  ),
  nodes: z.array(NetworkNodeSchema),
  edges: z.array(ConnectionSchema),
  /** Workloads reachable from outside the cluster, with what is reachable. */
  exposure: z.array(z.object({ workload: z.string(), from: z.string(), conn: z.string() })),
  /** Namespaces (and their unisolated workloads) without default deny. */
  gaps: z.array(
    z.object({
      namespace: z.string(),
      direction: z.enum(['ingress', 'egress']),
      workloads: z.array(z.string()),
    }),
  ),
  truncated: z.boolean(),
});
export type NetworkNode = z.infer<typeof NetworkNodeSchema>;
export type NetworkGraphResponse = z.infer<typeof NetworkGraphResponseSchema>;

/** Largest proposed-change body (bytes of YAML). */
export const MAX_DIFF_BODY = 512 * 1024;

/** `POST /network/diff`: manifests (YAML, multi-document) applied over the current inputs. */
export const NetpolDiffBodySchema = z
  .object({
    /** NetworkPolicies (or other objects) to add or replace, matched by kind, namespace and name. */
    manifests: z.string().min(1).max(MAX_DIFF_BODY),
    /** Objects to remove: `Kind/namespace/name`. */
    remove: z.array(z.string().max(MAX_FILTER_LENGTH)).max(200).optional(),
  })
  .strict();
export type NetpolDiffBody = z.infer<typeof NetpolDiffBodySchema>;

export const NetpolDiffResponseSchema = z.object({
  source: z.string(),
  diffs: z.array(
    z.object({
      src: z.string(),
      dst: z.string(),
      change: z.enum(['added', 'removed', 'changed']),
      before: z.string(),
      after: z.string(),
      opened: z.string(),
      newExposure: z.boolean(),
      newPeer: z.boolean(),
      attribution: z.array(z.object({ description: z.string(), location: z.string().optional() })),
    }),
  ),
  added: z.number().int(),
  removed: z.number().int(),
  changed: z.number().int(),
  newExposure: z.number().int(),
  /** Problems in the proposed manifests (located), policies ignored. */
  issues: z.array(z.object({ where: z.string(), message: z.string() })),
});
export type NetpolDiffResponse = z.infer<typeof NetpolDiffResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Drift, images, alerts

export const DriftQuerySchema = z
  .object({
    cluster: text.optional(),
    /** Scan ids; default: the latest scan and the one before it. */
    base: scanIdParam.optional(),
    head: scanIdParam.optional(),
  })
  .strict();
export type DriftQuery = z.infer<typeof DriftQuerySchema>;

const WorkloadContainerSchema = z.object({
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  container: z.string(),
});
/** An image reference and, when known, its digest. */
const DriftImageSchema = z.object({ image: z.string(), digest: z.string().optional() });

export const DriftResponseSchema = z.object({
  base: ScanSchema,
  head: ScanSchema,
  findings: z.object({
    opened: z.array(DriftFindingSchema),
    closed: z.array(DriftFindingSchema),
    unchanged: z.number().int(),
  }),
  rbac: z
    .array(
      z.object({
        subject: z.string(),
        gained: z.array(z.object({ namespace: z.string(), rule: z.string(), via: z.string() })),
        lost: z.array(z.object({ namespace: z.string(), rule: z.string(), via: z.string() })),
      }),
    )
    .optional(),
  reachability: z.object({ added: z.array(ConnectionSchema), removed: z.array(ConnectionSchema) }).optional(),
  /** Images per workload container; absent when a scan did not record them (`notes` says which). */
  images: z
    .object({
      changed: z.array(WorkloadContainerSchema.extend({ from: DriftImageSchema, to: DriftImageSchema })),
      added: z.array(WorkloadContainerSchema.extend(DriftImageSchema.shape)),
      removed: z.array(WorkloadContainerSchema.extend(DriftImageSchema.shape)),
    })
    .optional(),
  notes: z.array(z.string()),
  /** True when a list was cut at 1,000 rows. */
  truncated: z.boolean(),
});
export type DriftResponse = z.infer<typeof DriftResponseSchema>;

export const EventsQuerySchema = z
  .object({
    since: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
    limit: intParam(1, MAX_PAGE_LIMIT).default(100),
  })
  .strict();
export type EventsQuery = z.infer<typeof EventsQuerySchema>;

export const ImagesQuerySchema = z
  .object({
    since: intParam(0, Number.MAX_SAFE_INTEGER).optional(),
    limit: intParam(1, MAX_PAGE_LIMIT).default(100),
    /** Every recorded scan of each image instead of the newest per digest. */
    history: booleanParam.default(false),
  })
  .strict();
export type ImagesQuery = z.infer<typeof ImagesQuerySchema>;

export const ImageSchema = z.object({
  id: z.number().int(),
  digest: z.string(),
  ref: z.string(),
  scannedAt: z.number().int(),
  packages: z.number().int(),
  /** Unsuppressed vulnerabilities by severity (unknown and negligible count as info). */
  bySeverity: SeverityCounts,
  /** Vulnerabilities a VEX statement marked not affected: kept, not counted above. */
  suppressed: z.number().int().optional(),
  os: z.string().optional(),
  /** The cluster scan that found the image, when one did. */
  scanId: z.number().int().optional(),
});
export const ImagesResponseSchema = z.object({
  /** False while the store holds no image results. */
  enabled: z.boolean(),
  /** What fills this list (shown when it is empty). */
  enabledBy: z.string(),
  items: z.array(ImageSchema),
});
export type ImageDto = z.infer<typeof ImageSchema>;
export type ImagesResponse = z.infer<typeof ImagesResponseSchema>;

export const ImageVulnerabilitiesQuerySchema = z
  .object({
    /** The image result's id; default the newest result. */
    image: scanIdParam.optional(),
    severity: csvOfSeverity.optional(),
    /** Substring of the package name. */
    package: text.optional(),
    /** Only vulnerabilities a released version fixes (`true`) or none does (`false`). */
    fixable: booleanParam.optional(),
    /** Only VEX-suppressed (`true`) or only unsuppressed (`false`) ones; default both. */
    suppressed: booleanParam.optional(),
    limit: intParam(1, MAX_PAGE_LIMIT).default(100),
    offset: intParam(0, 1_000_000).default(0),
  })
  .strict();
export type ImageVulnerabilitiesQuery = z.infer<typeof ImageVulnerabilitiesQuerySchema>;

export const ImageVulnerabilitySchema = z.object({
  id: z.string(),
  aliases: z.array(z.string()),
  package: z.string(),
  version: z.string(),
  fixedVersion: z.string().optional(),
  severity: SeveritySchema,
  cvss: z.number().optional(),
  /** Where the package came from: `layer-digest:path`. */
  location: z.string(),
  /** Set when a VEX statement says the image is not affected: the justification. */
  suppressed: z.object({ justification: z.string() }).optional(),
});
export const ImageDetailSchema = ImageSchema.extend({
  platform: z.string().optional(),
  /** How the image was read: registry, layout, archive, sbom, registry-watch, cluster scan. */
  source: z.string().optional(),
  layers: z.number().int().optional(),
  /** Import time of the vulnerability database used. */
  vulnDbTime: z.number().int().optional(),
});
export const ImageVulnerabilitiesResponseSchema = z.object({
  /** Null when the store holds no image result. */
  image: ImageDetailSchema.nullable(),
  items: z.array(ImageVulnerabilitySchema),
  /** Rows matching the filters, before paging. */
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type ImageVulnerabilityDto = z.infer<typeof ImageVulnerabilitySchema>;
export type ImageDetailDto = z.infer<typeof ImageDetailSchema>;
export type ImageVulnerabilitiesResponse = z.infer<typeof ImageVulnerabilitiesResponseSchema>;

export const AlertSchema = z.object({
  id: z.number().int(),
  time: z.number().int(),
  rule: z.string(),
  severity: SeveritySchema,
  mitre: z.string().optional(),
  message: z.string(),
  subject: z.string(),
  target: z.string(),
  incident: z.string().optional(),
});
export const AlertsResponseSchema = z.object({
  enabled: z.boolean(),
  enabledBy: z.string(),
  items: z.array(AlertSchema),
});
export type AlertDto = z.infer<typeof AlertSchema>;
export type AlertsResponse = z.infer<typeof AlertsResponseSchema>;

export const HealthResponseSchema = z.object({ status: z.literal('ok') });

// ---------------------------------------------------------------------------------------------
// The route table: one entry per endpoint, read by the server and the OpenAPI generator.

/** One API route: method, path under {@link API_PREFIX}, schemas and who may call it. */
export interface ApiRoute {
  method: 'GET' | 'POST';
  path: string;
  summary: string;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
  /** `public` routes answer without authentication and reveal nothing of the cluster. */
  access: 'public' | 'viewer' | 'admin';
}

/** Every route of the API. */
export const API_ROUTES = [
  { method: 'GET', path: '/health', summary: 'Liveness', response: HealthResponseSchema, access: 'public' },
  {
    method: 'GET',
    path: '/session',
    summary: 'Who the caller is, the CSRF token and the login methods offered',
    response: SessionSchema,
    access: 'public',
  },
  {
    method: 'POST',
    path: '/auth/login',
    summary: 'Trade a bearer token for a session cookie',
    body: LoginBodySchema,
    response: SessionSchema,
    access: 'public',
  },
  {
    method: 'POST',
    path: '/auth/logout',
    summary: 'End the session (needs X-CSRF-Token)',
    response: SessionSchema,
    access: 'public',
  },
  {
    method: 'GET',
    path: '/scans',
    summary: 'Recorded scans, newest first',
    query: ScansQuerySchema,
    response: ScansResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/findings',
    summary: 'Findings, filtered, sorted and paged in the database',
    query: FindingsQuerySchema,
    response: FindingsResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/scores',
    summary: 'Score per framework over time',
    query: ScoresQuerySchema,
    response: ScoresResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/summary',
    summary: 'Open findings by severity and namespace, with the latest scan',
    query: ClusterQuerySchema,
    response: SummaryResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/changes',
    summary: 'What changed since the previous scan',
    query: ClusterQuerySchema,
    response: ChangesResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/top-risks',
    summary: 'Riskiest workloads and identities',
    query: TopRisksQuerySchema,
    response: TopRisksResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/rbac/who-can',
    summary: 'Subjects allowed a request, with the binding path',
    query: WhoCanQuerySchema,
    response: WhoCanResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/rbac/unused',
    summary: 'Rights held and not used in the audit window (needs serve --audit-log)',
    response: UnusedRightsResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/rbac/graph',
    summary: 'Escalation paths as a graph',
    query: RbacGraphQuerySchema,
    response: RbacGraphResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/network/matrix',
    summary: 'Allowed connections between workloads and external ranges',
    query: NetworkQuerySchema,
    response: MatrixResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/network/graph',
    summary: 'Reachability graph, external exposure and default-deny gaps',
    query: NetworkQuerySchema,
    response: NetworkGraphResponseSchema,
    access: 'viewer',
  },
  {
    method: 'POST',
    path: '/network/diff',
    summary: 'Impact of a proposed change (netpol diff); needs X-CSRF-Token with a cookie session',
    body: NetpolDiffBodySchema,
    response: NetpolDiffResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/drift',
    summary: 'Two scans compared',
    query: DriftQuerySchema,
    response: DriftResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/images',
    summary: 'Image scan results: the newest per digest, or every scan with history=true',
    query: ImagesQuerySchema,
    response: ImagesResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/images/vulnerabilities',
    summary: 'One image result (default the newest) and its vulnerabilities, filtered and paged',
    query: ImageVulnerabilitiesQuerySchema,
    response: ImageVulnerabilitiesResponseSchema,
    access: 'viewer',
  },
  {
    method: 'GET',
    path: '/alerts',
    summary: 'Detection alerts',
    query: EventsQuerySchema,
    response: AlertsResponseSchema,
    access: 'viewer',
  },
] as const satisfies readonly ApiRoute[];
