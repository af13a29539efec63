/**
 * The one event shape every detection input is normalised to (audit events, network flows,
 * container runtime events). Invariant: every field is present (empty string, empty list, 0 or
 * an empty object when the input did not say), so rule conditions never test for presence of
 * the structure, only of values. Secret material never reaches an event: normalisers redact it.
 */

/** Which kind of input an event came from. */
export type EventSource = 'audit' | 'flow' | 'runtime';

/** The exact producer of the record, as the input said or as its shape showed. */
export type EventProvider =
  'kubernetes' | 'eks' | 'gke' | 'aks' | 'hubble' | 'calico' | 'csv' | 'falco' | 'tetragon';

/** What kind of identity acted. */
export type ActorKind = 'human' | 'serviceaccount' | 'node' | 'system' | 'anonymous' | 'workload' | 'unknown';

/** Who acted. */
export interface EventActor {
  /** User name as authenticated (`system:serviceaccount:ns:name` for ServiceAccounts); for runtime events the workload. */
  user: string;
  groups: string[];
  kind: ActorKind;
  /** The ServiceAccount's namespace and name when `kind` is `serviceaccount` ('' otherwise). */
  serviceAccountNamespace: string;
  serviceAccountName: string;
  /** The user that impersonated `user`, when the request was impersonated ('' otherwise). */
  impersonator: string;
  sourceIPs: string[];
  /** True when some source IP is a public (globally routable) address. */
  publicSource: boolean;
  userAgent: string;
}

/** What was done. */
export interface EventAction {
  /** Kubernetes verb (`get`, `create`, …), a flow's `connect`, a runtime event's `exec`/`connect`/`open`. */
  verb: string;
  /** HTTP status of the API call (0 when unknown or not an API call). */
  code: number;
  /** Audit stage (`ResponseComplete`, `ResponseStarted`, …) or ''. */
  stage: string;
  /** The authorizer's decision when the audit annotations say (`allow`, `forbid`) or ''. */
  decision: string;
  /** The request URI of an API call ('' otherwise); query values of secrets are never kept. */
  requestURI: string;
}

/** What it was done to. */
export interface EventTarget {
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/** A network connection (flows, runtime connects). */
export interface EventNetwork {
  srcIP: string;
  srcPort: number;
  dstIP: string;
  dstPort: number;
  protocol: string;
  /** Destination name when known (DNS query, SNI, flow's FQDN). */
  domain: string;
  /** `allowed`, `denied`, `dropped` or '' (as the flow source said). */
  verdict: string;
  /** Source and destination workloads ("namespace/name") when the flow source said. */
  srcWorkload: string;
  dstWorkload: string;
}

/** A process in a container (runtime events). */
export interface EventProcess {
  binary: string;
  args: string;
  /** The file the event was about (open, write), or ''. */
  file: string;
  parentBinary: string;
  container: string;
  pod: string;
  namespace: string;
  image: string;
  imageDigest: string;
}

/** One normalised event. */
export interface DetectEvent {
  /** auditID, flow or runtime event id when the input has one, else a stable id from the input position. */
  id: string;
  source: EventSource;
  provider: EventProvider;
  /** RFC 3339 time of the event ('' when the input gave none). */
  time: string;
  actor: EventActor;
  action: EventAction;
  target: EventTarget;
  network: EventNetwork;
  process: EventProcess;
  /** The request object of create/update/patch calls (Secret data and tokens removed), or {}. */
  object: Record<string, unknown>;
  /** The pod spec inside `object` (a Pod's, or a workload's pod template's), or {}. */
  pod: Record<string, unknown>;
  /** Every container of `pod`: containers, initContainers and ephemeralContainers. */
  containers: Record<string, unknown>[];
  /** Indicators from the loaded threat feeds that this event hit (filled by the detector). */
  intel: IntelHit[];
}

/** A threat-intelligence indicator an event hit. */
export interface IntelHit {
  feed: string;
  type: IndicatorType;
  indicator: string;
  /** What of the event matched it (`actor.sourceIPs`, `network.dstIP`, …). */
  field: string;
  confidence: number;
  description: string;
}

/** Kinds of indicators a feed may hold. */
export type IndicatorType = 'ip' | 'cidr' | 'domain' | 'url' | 'image-digest' | 'file-hash' | 'user-agent';

/** An event with every field at its empty value; normalisers fill in what they know. */
export function emptyEvent(source: EventSource, provider: EventProvider, id: string): DetectEvent {
  return {
    id,
    source,
    provider,
    time: '',
    actor: {
      user: '',
      groups: [],
      kind: 'unknown',
      serviceAccountNamespace: '',
      serviceAccountName: '',
      impersonator: '',
      sourceIPs: [],
      publicSource: false,
      userAgent: '',
    },
    action: { verb: '', code: 0, stage: '', decision: '', requestURI: '' },
    target: { apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' },
    network: {
      srcIP: '',
      srcPort: 0,
      dstIP: '',
      dstPort: 0,
      protocol: '',
      domain: '',
      verdict: '',
      srcWorkload: '',
      dstWorkload: '',
    },
    process: {
      binary: '',
      args: '',
      file: '',
      parentBinary: '',
      container: '',
      pod: '',
      namespace: '',
      image: '',
      imageDigest: '',
    },
    object: {},
    pod: {},
    containers: [],
    intel: [],
  };
}
