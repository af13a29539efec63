/**
 * Authentication controls, judged where the input shows the configuration: the API server's
 * command line (see api-server.ts), KubeletConfiguration objects, and kubeconfig documents
 * (`apiVersion: v1`, `kind: Config`) among the scanned files. When the API server is not
 * visible (a managed control plane), its controls find nothing to judge.
 *
 * - auth/no-anonymous-auth: the API server accepts anonymous requests (see anonymous.ts: its
 *   `--anonymous-auth` flag, default on, or the `anonymous` section of the
 *   AuthenticationConfiguration its `--authentication-config` names, when that document is
 *   among the inputs; flag and section together are a finding, the API server refuses them),
 *   an AuthenticationConfiguration enables anonymous requests beyond the health endpoints, or
 *   a KubeletConfiguration sets `authentication.anonymous.enabled: true`.
 * - auth/external-user-authentication: the API server has no way to authenticate people other
 *   than client certificates and static tokens: none of `--oidc-issuer-url`,
 *   `--authentication-config` (structured authentication configuration) or
 *   `--authentication-token-webhook-config-file`.
 * - auth/service-account-token-lifetime: `--service-account-max-token-expiration` is absent
 *   (a client may request a token valid for as long as it likes) or longer than the setting
 *   `maxTokenExpiration` (a Go duration, default `24h`).
 * - auth/client-certificate-expiry: a kubeconfig user's `client-certificate-data` has expired
 *   at the scan date, or expires within the setting `warnDays` (a number or a string of
 *   digits, default 30) days.
 */
import { X509Certificate } from 'node:crypto';
import type { Inventory, InventoryControl, Resource, Violation } from '../../core/index.js';
import { cis, isRecord, mitre, nsa, numberSetting, stringSetting } from '../support.js';
import {
  AUTHENTICATION_CONFIG_VERSIONS,
  decideApiServerAnonymous,
  judgeAnonymousSection,
  type AnonymousBasis,
} from './anonymous.js';
import { apiServerCommandLines, durationSeconds, flagValue } from './api-server.js';

const AUTH_NSA = nsa('Authentication and authorization');

/** The AuthenticationConfiguration documents among the inputs. */
function authenticationConfigurations(inventory: Inventory): Resource[] {
  return inventory
    .byKind('AuthenticationConfiguration')
    .filter((r) => AUTHENTICATION_CONFIG_VERSIONS.includes(r.object.apiVersion));
}

/**
 * The document an API server's `--authentication-config FILE` names: the one read from a file
 * of the same name, else the only one among the inputs; undefined when it is not visible.
 */
function configurationFor(documents: readonly Resource[], file: string): Resource | undefined {
  const base = file.split('/').pop() ?? file;
  const named = documents.filter((d) => (d.source?.file.split('/').pop() ?? '') === base);
  if (named.length === 1) return named[0];
  return documents.length === 1 ? documents[0] : undefined;
}

/** The field path of an anonymous-section verdict. */
function sectionPath(section: unknown, basis: AnonymousBasis): string {
  if (basis.at === 'condition') {
    const c: unknown =
      isRecord(section) && Array.isArray(section['conditions'])
        ? section['conditions'][basis.index]
        : undefined;
    return isRecord(c) && c['path'] !== undefined
      ? `anonymous.conditions[${basis.index}].path`
      : `anonymous.conditions[${basis.index}]`;
  }
  if (basis.at === 'enabled' && isRecord(section) && section['enabled'] !== undefined)
    return 'anonymous.enabled';
  return 'anonymous';
}

export const noAnonymousAuth: InventoryControl = {
  id: 'auth/no-anonymous-auth',
  title: 'The API server and kubelets must refuse anonymous requests',
  severity: 'high',
  category: 'authentication',
  appliesTo: { inventory: true, perObject: true },
  rationale:
    'Anonymous requests reach the API server and the kubelet as system:anonymous: one binding to that user or to system:unauthenticated, or a kubelet left on AlwaysAllow, opens the cluster to anyone who can reach it.',
  remediation:
    'Start kube-apiserver with --anonymous-auth=false (or restrict anonymous access to health endpoints in the AuthenticationConfiguration), and set authentication.anonymous.enabled: false in every KubeletConfiguration.',
  frameworks: [cis('1.2.1'), cis('4.2.1'), AUTH_NSA, mitre('T1078.001')],
  checkInventory(inventory) {
    const out: Violation[] = [];
    const documents = authenticationConfigurations(inventory);
    for (const line of apiServerCommandLines(inventory)) {
      const flag = flagValue(line.args, '--anonymous-auth');
      const file = flagValue(line.args, '--authentication-config');
      const document = file ? configurationFor(documents, file.value) : undefined;
      const decision = decideApiServerAnonymous(
        flag?.value,
        !file
          ? { kind: 'none' }
          : document
            ? { kind: 'read', path: document.source?.file ?? file.value, document: document.object }
            : { kind: 'not-visible', path: file.value },
      );
      // A verdict read from the file's anonymous section is reported at the document below.
      if (decision.status === 'pass' || !['flag', 'flag-default'].includes(decision.basis.at)) continue;
      out.push({
        message: decision.message,
        path: flag ? (line.paths[flag.index] ?? line.containerPath) : line.containerPath,
        resource: line.resource,
      });
    }
    for (const resource of documents) {
      const section = resource.object['anonymous'];
      if (section === undefined || section === null) continue;
      const decision = judgeAnonymousSection(section, 'AuthenticationConfiguration');
      if (decision.status === 'pass') continue;
      out.push({ message: decision.message, path: sectionPath(section, decision.basis), resource });
    }
    for (const resource of inventory.byKind('KubeletConfiguration')) {
      const authn = resource.object['authentication'];
      const anonymous = isRecord(authn) ? authn['anonymous'] : undefined;
      if (isRecord(anonymous) && anonymous['enabled'] === true)
        out.push({
          message: 'KubeletConfiguration enables anonymous requests to the kubelet API',
          path: 'authentication.anonymous.enabled',
          resource,
        });
    }
    return out;
  },
};

const EXTERNAL_FLAGS = [
  '--oidc-issuer-url',
  '--authentication-config',
  '--authentication-token-webhook-config-file',
];

export const externalUserAuthentication: InventoryControl = {
  id: 'auth/external-user-authentication',
  title: 'People must authenticate through an identity provider (OIDC or structured authentication)',
  severity: 'medium',
  category: 'authentication',
  appliesTo: { inventory: true, perObject: true },
  rationale:
    'Without OIDC, a structured AuthenticationConfiguration or a token webhook, people authenticate with client certificates or static tokens, which cannot be revoked and carry no multi-factor login.',
  remediation:
    'Configure an identity provider: --authentication-config with a JWT authenticator (Kubernetes 1.30+), or --oidc-issuer-url and --oidc-client-id.',
  frameworks: [cis('3.1.1'), AUTH_NSA, mitre('T1078')],
  checkInventory(inventory) {
    return apiServerCommandLines(inventory)
      .filter((line) => !EXTERNAL_FLAGS.some((f) => flagValue(line.args, f) !== undefined))
      .map((line) => ({
        message:
          'kube-apiserver has no identity provider for people: none of --authentication-config, --oidc-issuer-url, --authentication-token-webhook-config-file',
        path: line.containerPath,
        resource: line.resource,
      }));
  },
};

export const serviceAccountTokenLifetime: InventoryControl = {
  id: 'auth/service-account-token-lifetime',
  title: 'Service-account tokens must have a bounded lifetime',
  severity: 'medium',
  category: 'authentication',
  appliesTo: { inventory: true, perObject: true },
  rationale:
    'Without --service-account-max-token-expiration a client can request a token valid for years; a stolen token then works long after the pod is gone.',
  remediation:
    'Start kube-apiserver with --service-account-max-token-expiration set to a day or less (e.g. 24h).',
  frameworks: [nsa('Pod security: protecting Pod service account tokens'), mitre('T1528')],
  checkInventory(inventory, settings) {
    const limitText = stringSetting(settings, 'maxTokenExpiration') ?? '24h';
    const limit = durationSeconds(limitText) ?? 86400;
    const out: Violation[] = [];
    for (const line of apiServerCommandLines(inventory)) {
      const flag = flagValue(line.args, '--service-account-max-token-expiration');
      if (!flag) {
        out.push({
          message:
            'kube-apiserver does not set --service-account-max-token-expiration: token lifetimes are unbounded',
          path: line.containerPath,
          resource: line.resource,
        });
        continue;
      }
      const seconds = durationSeconds(flag.value);
      if (seconds === undefined || seconds > limit)
        out.push({
          message: `kube-apiserver allows service-account tokens for ${flag.value}${seconds === undefined ? ' (not a duration)' : `, longer than ${limitText}`}`,
          path: line.paths[flag.index] ?? line.containerPath,
          resource: line.resource,
        });
    }
    return out;
  },
};

const DAY_MS = 86_400_000;

export const clientCertificateExpiry: InventoryControl = {
  id: 'auth/client-certificate-expiry',
  title: 'Kubeconfig client certificates must not be expired or about to expire',
  severity: 'medium',
  category: 'authentication',
  appliesTo: { inventory: true, perObject: true },
  rationale:
    'An expired client certificate locks its user out; one that is renewed in a hurry is often reissued with broader rights or a longer lifetime. Client certificates cannot be revoked, so their expiry is the only bound on a stolen one.',
  remediation:
    'Reissue the certificate (kubeadm certs renew, or a new CertificateSigningRequest) before it expires; better, move people to an identity provider.',
  frameworks: [cis('3.1.1'), AUTH_NSA, mitre('T1078')],
  checkInventory(inventory, settings) {
    const date = inventory.facts.scanDate;
    if (date === undefined) return [];
    const now = Date.parse(date);
    const warnDays = numberSetting(settings, 'warnDays') ?? 30;
    const out: Violation[] = [];
    for (const resource of inventory.byKind('Config')) {
      const users = resource.object['users'];
      if (!Array.isArray(users)) continue;
      users.forEach((u: unknown, i) => {
        const user = isRecord(u) ? u['user'] : undefined;
        const data = isRecord(user) ? user['client-certificate-data'] : undefined;
        if (typeof data !== 'string') return;
        const name = isRecord(u) && typeof u['name'] === 'string' ? u['name'] : `#${i}`;
        const path = `users[${i}].user["client-certificate-data"]`;
        let notAfter: number;
        try {
          notAfter = Date.parse(new X509Certificate(Buffer.from(data, 'base64')).validTo);
        } catch {
          out.push({ message: `user ${name}: client-certificate-data is not a certificate`, path, resource });
          return;
        }
        const days = Math.floor((notAfter - now) / DAY_MS);
        const when = new Date(notAfter).toISOString().slice(0, 10);
        if (notAfter <= now)
          out.push({
            message: `user ${name}: client certificate expired on ${when}`,
            path,
            resource,
            severity: 'high',
          });
        else if (days < warnDays)
          out.push({
            message: `user ${name}: client certificate expires on ${when}, in ${days} days`,
            path,
            resource,
          });
      });
    }
    return out;
  },
};
