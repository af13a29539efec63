/**
 * Palisade's own node controls, judged by `node scan` beside the CIS checks. The benchmark's
 * verdicts stay as kube-bench defines them (1.2.1 is a manual check, a WARN); these controls
 * say what Palisade requires, with the same ids the manifest and cluster scans use.
 *
 * - auth/no-anonymous-auth: kube-apiserver accepts anonymous requests (its `--anonymous-auth`
 *   flag, default on, or the `anonymous` section of the file `--authentication-config` names,
 *   read from the node: see ../auth/anonymous.ts; a file that cannot be read or decoded is
 *   `error`), or the kubelet allows them: `--anonymous-auth=true`, its
 *   config file's `authentication.anonymous.enabled: true`, or neither flag nor config file
 *   (the kubelet's legacy flag default is true; a KubeletConfiguration file defaults to false).
 * - auth/control-plane-certificate-expiry: a certificate the control plane uses (each file the
 *   components' flags and kubeconfigs name, embedded kubeconfig data, every `*.crt` of the PKI
 *   directory) has expired at the scan date, or expires within the setting `warnDays`
 *   (default 30) days. A certificate that cannot be read or parsed is `error` ("could not
 *   check"), never a pass.
 */
import { X509Certificate } from 'node:crypto';
import type { Finding, FrameworkRef, Severity, SourceLocation } from '../../core/index.js';
import {
  decideApiServerAnonymous,
  type AnonymousBasis,
  type AuthenticationConfigInput,
} from '../auth/anonymous.js';
import { noAnonymousAuth } from '../auth/controls.js';
import { cis, mitre, nsa, numberSetting } from '../support.js';
import type { AuthenticationConfigFacts, CertificateFacts, ComponentFacts, NodeFacts } from './facts.js';

/** Outcome of a node control on one subject: `error` means it could not be checked. */
export type NodeControlStatus = 'pass' | 'fail' | 'error';

/** One certificate's validity, as shown in a result (never key material). */
export interface CertificateValidity {
  subject: string;
  notAfter: string;
  /** Whole days from the scan date to `notAfter`; negative once expired. */
  daysLeft: number;
}

/** The result of one node control on one subject (a component or a file). */
export interface NodeControlResult {
  controlId: string;
  title: string;
  status: NodeControlStatus;
  /** Severity of the finding when the status is `fail`. */
  severity: Severity;
  subject: { kind: 'NodeComponent' | 'NodeFile'; name: string };
  message: string;
  location?: SourceLocation;
  remediation: string;
  frameworks: FrameworkRef[];
  /** For certificate controls: each certificate of the file with its expiry. */
  certificates?: CertificateValidity[];
}

/** What the node controls are judged with besides the facts. */
export interface NodeControlOptions {
  /** The scan date, in milliseconds since the epoch. */
  now: number;
  /** Per-control settings (the `settings` of a palisade.dev/v1 Config), by control id. */
  settings?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** A node control: its declaration and its pure function over node facts. */
export interface NodeControl {
  id: string;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
  frameworks: FrameworkRef[];
  evaluate(facts: NodeFacts, options: NodeControlOptions): NodeControlResult[];
}

function lastFlag(c: ComponentFacts, flag: string): { value: string; index: number } | undefined {
  for (let i = c.args.length - 1; i >= 0; i--) {
    const a = c.args[i] ?? '';
    if (a.startsWith(`${flag}=`)) return { value: a.slice(flag.length + 1), index: i };
    if (a === flag) {
      const next = c.args[i + 1];
      return next !== undefined && !next.startsWith('-')
        ? { value: next, index: i }
        : { value: 'true', index: i };
    }
  }
  return undefined;
}

function configValue(c: ComponentFacts, ...keys: string[]): unknown {
  let cur: unknown = c.config?.value;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function at(location: SourceLocation | undefined): { location?: SourceLocation } {
  return location ? { location } : {};
}

/** What node facts tell of the file kube-apiserver's `--authentication-config` names. */
function authenticationConfigInput(
  api: ComponentFacts,
  config: AuthenticationConfigFacts | undefined,
): AuthenticationConfigInput {
  const file = lastFlag(api, '--authentication-config');
  if (!file) return { kind: 'none' };
  if (!config) return { kind: 'not-visible', path: file.value };
  if (config.error !== undefined || config.value === undefined)
    return { kind: 'error', path: config.path, error: config.error ?? 'no content' };
  return { kind: 'read', path: config.path, document: config.value };
}

/** Where an API server anonymous verdict points: the flag, the command line, or the file's key. */
function anonymousLocation(
  basis: AnonymousBasis,
  api: ComponentFacts,
  flag: { index: number } | undefined,
  config: AuthenticationConfigFacts | undefined,
): SourceLocation | undefined {
  if (basis.at === 'flag' || basis.at === 'flag-default')
    return (flag ? api.argLocations?.[flag.index] : undefined) ?? api.location;
  if (!config) return api.location;
  const keys = config.keys ?? {};
  const key =
    basis.at === 'condition'
      ? (keys[`anonymous.conditions[${basis.index}].path`] ??
        keys[`anonymous.conditions[${basis.index}]`] ??
        keys['anonymous.conditions'])
      : basis.at === 'enabled'
        ? (keys['anonymous.enabled'] ?? keys['anonymous'])
        : basis.at === 'section'
          ? keys['anonymous']
          : undefined;
  return { file: config.path, line: key?.line ?? 1, column: key?.column ?? 1 };
}

const anonymousAuth: NodeControl = {
  id: noAnonymousAuth.id,
  title: noAnonymousAuth.title,
  severity: noAnonymousAuth.severity,
  rationale: noAnonymousAuth.rationale,
  remediation: noAnonymousAuth.remediation,
  frameworks: [...noAnonymousAuth.frameworks],
  evaluate(facts) {
    const base = {
      controlId: this.id,
      title: this.title,
      severity: this.severity,
      remediation: this.remediation,
      frameworks: this.frameworks,
    };
    const out: NodeControlResult[] = [];
    const api = facts.components.apiserver;
    if (api) {
      const subject = { kind: 'NodeComponent' as const, name: 'kube-apiserver' };
      const flag = lastFlag(api, '--anonymous-auth');
      if (api.error !== undefined)
        out.push({
          ...base,
          subject,
          status: 'error',
          message: `could not check: ${api.error}`,
          ...at(api.location),
        });
      else {
        const decision = decideApiServerAnonymous(
          flag?.value,
          authenticationConfigInput(api, facts.authenticationConfig),
        );
        out.push({
          ...base,
          subject,
          status: decision.status,
          message: decision.note !== undefined ? `${decision.message}: ${decision.note}` : decision.message,
          ...at(anonymousLocation(decision.basis, api, flag, facts.authenticationConfig)),
        });
      }
    }
    const kubelet = facts.components.kubelet;
    if (kubelet) {
      const subject = { kind: 'NodeComponent' as const, name: 'kubelet' };
      const flag = lastFlag(kubelet, '--anonymous-auth');
      const fromConfig = configValue(kubelet, 'authentication', 'anonymous', 'enabled');
      const keyAt = kubelet.config?.keys?.['authentication.anonymous.enabled'];
      const configAt =
        kubelet.config && keyAt
          ? { file: kubelet.config.path, line: keyAt.line, column: keyAt.column }
          : undefined;
      let enabled: boolean;
      let how: string;
      let location: SourceLocation | undefined;
      if (flag) {
        enabled = flag.value !== 'false';
        how = `runs with --anonymous-auth=${flag.value}`;
        location = kubelet.argLocations?.[flag.index];
      } else if (kubelet.config?.error !== undefined) {
        out.push({
          ...base,
          subject,
          status: 'error',
          message: `could not check: the kubelet config file ${kubelet.config.path} cannot be read (${kubelet.config.error})`,
          location: { file: kubelet.config.path, line: 1, column: 1 },
        });
        return out;
      } else if (kubelet.config && fromConfig !== undefined) {
        enabled = fromConfig !== false && fromConfig !== 'false';
        how = `config file ${kubelet.config.path} sets authentication.anonymous.enabled: ${JSON.stringify(fromConfig)}`;
        location = configAt;
      } else if (kubelet.config) {
        enabled = false;
        how = `config file ${kubelet.config.path} leaves authentication.anonymous.enabled at its default, false`;
        location = { file: kubelet.config.path, line: 1, column: 1 };
      } else {
        enabled = true;
        how = 'has neither --anonymous-auth nor a config file: the flag default allows anonymous requests';
        location = kubelet.location;
      }
      out.push({
        ...base,
        subject,
        status: enabled ? 'fail' : 'pass',
        message: `kubelet ${how}`,
        ...at(location ?? kubelet.location),
      });
    }
    return out;
  },
};

const DAY_MS = 86_400_000;
// One PEM certificate block; the body is base64 and line breaks only, so the match is linear.
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]*?-----END CERTIFICATE-----/g;

/** The `CERTIFICATE` blocks of a PEM text, nothing else (private keys are left out). */
export function certificateBlocks(text: string): string[] {
  return text.match(CERT_BLOCK) ?? [];
}

function subjectName(cert: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  return cn ?? cert.subject.replace(/\n/g, ', ');
}

const certificateExpiry: NodeControl = {
  id: 'auth/control-plane-certificate-expiry',
  title: 'Control-plane certificates must not be expired or about to expire',
  severity: 'medium',
  rationale:
    'When a serving or client certificate of the control plane expires, the API server, etcd, the scheduler, the controller manager or the kubelets stop talking to each other, and a rushed renewal is where keys get reused and lifetimes stretched. kubeadm certificates last a year unless renewed.',
  remediation:
    'Renew the certificate before it expires (kubeadm certs renew <name>, or reissue it from its CA), restart the component that reads it, and keep kubelet certificate rotation on.',
  frameworks: [
    cis('1.2.24'),
    cis('1.2.4'),
    cis('1.2.23'),
    cis('2.1'),
    cis('4.2.9'),
    nsa('Authentication and authorization'),
    mitre('T1078'),
  ],
  evaluate(facts, options) {
    const warnDays = numberSetting(options.settings?.[this.id], 'warnDays') ?? 30;
    return (facts.certificates ?? []).map((c: CertificateFacts): NodeControlResult => {
      const name = c.field !== undefined ? `${c.path} ${c.field}` : c.path;
      const base = {
        controlId: this.id,
        title: this.title,
        severity: this.severity,
        remediation: this.remediation,
        frameworks: this.frameworks,
        subject: { kind: 'NodeFile' as const, name },
        ...at(c.location),
      };
      const used = c.usedBy.length > 0 ? ` (used by ${c.usedBy.join(', ')})` : '';
      if (c.error !== undefined || c.pem === undefined)
        return {
          ...base,
          status: 'error',
          message: `could not check ${name}${used}: ${c.error ?? 'not read'}`,
        };
      const blocks = certificateBlocks(c.pem);
      if (blocks.length === 0)
        return {
          ...base,
          status: 'error',
          message: `could not check ${name}${used}: no PEM certificate in it`,
        };
      const certificates: CertificateValidity[] = [];
      for (const block of blocks) {
        let cert: X509Certificate;
        try {
          cert = new X509Certificate(block);
        } catch {
          return {
            ...base,
            status: 'error',
            message: `could not check ${name}${used}: certificate ${certificates.length + 1} is not a valid X.509 certificate`,
          };
        }
        const notAfter = Date.parse(cert.validTo);
        certificates.push({
          subject: subjectName(cert),
          notAfter: new Date(notAfter).toISOString(),
          daysLeft: Math.floor((notAfter - options.now) / DAY_MS),
        });
      }
      const worst = certificates.reduce((a, b) => (b.daysLeft < a.daysLeft ? b : a));
      const when = worst.notAfter.slice(0, 10);
      const who = `certificate ${worst.subject} of ${name}`;
      if (Date.parse(worst.notAfter) <= options.now)
        return {
          ...base,
          severity: 'high',
          status: 'fail',
          certificates,
          message: `${who} expired on ${when}${used}`,
        };
      if (worst.daysLeft < warnDays)
        return {
          ...base,
          status: 'fail',
          certificates,
          message: `${who} expires on ${when}, in ${worst.daysLeft} days (warnDays ${warnDays})${used}`,
        };
      return {
        ...base,
        status: 'pass',
        certificates,
        message: `${who} is valid until ${when}, ${worst.daysLeft} days`,
      };
    });
  },
};

/** The node controls `node scan` evaluates beside the benchmark, in report order. */
export const NODE_CONTROLS: readonly NodeControl[] = [anonymousAuth, certificateExpiry];

/** Every node control's results on one node's facts. */
export function evaluateNodeControls(facts: NodeFacts, options: NodeControlOptions): NodeControlResult[] {
  return NODE_CONTROLS.flatMap((c) => c.evaluate(facts, options));
}

/** Findings for the failed node control results (passes and could-not-check are not findings). */
export function nodeControlFindings(results: readonly NodeControlResult[], apiVersion: string): Finding[] {
  return results
    .filter((r) => r.status === 'fail')
    .map((r) => ({
      controlId: r.controlId,
      title: r.title,
      severity: r.severity,
      message: r.message,
      resource: { apiVersion, kind: r.subject.kind, name: r.subject.name },
      ...at(r.location),
      remediation: r.remediation,
      frameworks: r.frameworks,
    }));
}

/** Report metadata of every node control, for renderers that list rules. */
export function nodeControlMetadata(): {
  id: string;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
  frameworks: FrameworkRef[];
}[] {
  return NODE_CONTROLS.map((c) => ({
    id: c.id,
    title: c.title,
    severity: c.severity,
    rationale: c.rationale,
    remediation: c.remediation,
    frameworks: c.frameworks,
  }));
}
