import { describe, expect, it } from 'vitest';
import { missingCases, runControl, type ControlCase } from '../testing.js';
import { SECRETS_CONTROLS, detectSecret, shannonEntropy } from './index.js';

const env = (lines: string): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n${lines
    .split('\n')
    .map((l) => `        ${l}`)
    .join('\n')}\n`;

const configMap = (data: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\ndata:\n${data
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;

const secret = (type: string, body: string): string =>
  `apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\n${type === '' ? '' : `type: ${type}\n`}${body}\n`;

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6eDp5In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: admin\n';

const annotated = (annotations: string): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: shop\n  annotations:\n${annotations
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;

const cases: ControlCase[] = [
  // Issue #20: misses of the critical control (it wanted 20+ characters of high entropy, skipped URLs).
  [
    'secrets/no-secret-in-env',
    'short literal password',
    env('env:\n- {name: DB_PASSWORD, value: "S3cr3t!pass"}'),
    [{ path: 'spec.template.spec.containers[0].env[0].value', line: 10 }],
  ],
  [
    'secrets/no-secret-in-env',
    'password in a connection URL',
    env('env:\n- {name: DATABASE_URL, value: "postgres://admin:hunter2@db/x"}'),
    [{ path: 'spec.template.spec.containers[0].env[0].value', line: 10 }],
  ],
  [
    'secrets/no-secret-in-env',
    'AWS_SECRET_ACCESS_KEY literal',
    env('env:\n- {name: AWS_SECRET_ACCESS_KEY, value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}'),
    [{ path: 'spec.template.spec.containers[0].env[0].value', line: 10 }],
  ],
  [
    'secrets/no-secret-in-env',
    'valueFrom is never flagged',
    env('env:\n- name: DB_PASSWORD\n  valueFrom: {secretKeyRef: {name: db, key: pw}}'),
    [],
  ],
  [
    'secrets/no-secret-in-configmap',
    'db_password by key name',
    configMap('db_password: abc123\ndb_host: db'),
    [{ path: 'data.db_password', line: 5 }],
  ],
  [
    'secrets/no-secret-in-annotations',
    'password annotation and URL with credentials',
    annotated(
      'example.com/db-password: hunter2\nexample.com/upstream: "https://bot:s3cret@git.example.com/x"\nexample.com/owner: team-a',
    ),
    [
      { path: 'metadata.annotations["example.com/db-password"]', line: 7 },
      { path: 'metadata.annotations["example.com/upstream"]', line: 8 },
    ],
  ],
  ['secrets/no-secret-in-annotations', 'ordinary annotations', annotated('example.com/owner: team-a'), []],
  [
    'secrets/no-secret-in-env',
    'GitHub token literal',
    env('env:\n- name: GH\n  value: ghp_0123456789abcdefghijABCDEFGHIJ012345'),
    [{ path: 'spec.template.spec.containers[0].env[0].value', line: 11 }],
  ],
  [
    'secrets/no-secret-in-env',
    'high-entropy password',
    env('env:\n- {name: LOG_LEVEL, value: debug}\n- {name: DB_PASSWORD, value: "Zx8#qL2!vR9@tM4$wK7%"}'),
    [{ path: 'spec.template.spec.containers[0].env[1].value', line: 11 }],
  ],
  [
    'secrets/no-secret-in-env',
    'ordinary values',
    env('env:\n- {name: LOG_LEVEL, value: debug}\n- {name: PASSWORD_FILE, value: /run/secrets/db}'),
    [],
  ],

  [
    'secrets/no-secret-in-configmap',
    'AWS key and private key',
    configMap(
      'AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\nmode: prod\ntls.key: "-----BEGIN RSA PRIVATE KEY-----\\nMIIB"',
    ),
    [
      { path: 'data.AWS_ACCESS_KEY_ID', line: 5 },
      { path: 'data["tls.key"]', line: 7 },
    ],
  ],
  [
    'secrets/no-secret-in-configmap',
    'Slack webhook',
    configMap('hook: https://hooks.slack.com/services/T000/B000/XXXX'),
    [{ path: 'data.hook', line: 5 }],
  ],
  [
    'secrets/no-secret-in-configmap',
    'plain settings',
    configMap('mode: prod\nurl: https://example.com/api'),
    [],
  ],

  [
    'secrets/secrets-as-files',
    'secretKeyRef and envFrom',
    env(
      'env:\n- name: PW\n  valueFrom:\n    secretKeyRef: {name: db, key: pw}\nenvFrom:\n- secretRef: {name: all}',
    ),
    [
      { path: 'spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef', line: 12 },
      { path: 'spec.template.spec.containers[0].envFrom[0].secretRef', line: 14 },
    ],
  ],
  [
    'secrets/secrets-as-files',
    'configMap env is fine',
    env('envFrom:\n- configMapRef: {name: settings}'),
    [],
  ],

  [
    'secrets/opaque-credentials',
    'kubeconfig in data',
    secret('Opaque', `data:\n  config: ${b64(KUBECONFIG)}`),
    [{ path: 'data.config', line: 6 }],
  ],
  [
    'secrets/opaque-credentials',
    'token in stringData, untyped',
    secret('', `stringData:\n  token: ${JWT}`),
    [{ path: 'stringData.token', line: 5 }],
  ],
  [
    'secrets/opaque-credentials',
    'ordinary password',
    secret('Opaque', `data:\n  password: ${b64('hunter2')}`),
    [],
  ],
  [
    'secrets/opaque-credentials',
    'typed TLS secret ignored',
    secret('kubernetes.io/tls', `stringData:\n  token: ${JWT}`),
    [],
  ],

  [
    'secrets/no-legacy-token-secret',
    'service-account token Secret',
    secret('kubernetes.io/service-account-token', ''),
    [{ path: 'type', line: 4 }],
  ],
  ['secrets/no-legacy-token-secret', 'Opaque secret', secret('Opaque', 'data: {}'), []],
];

describe('secrets controls', () => {
  it.each(cases)('%s: %s', (id, _name, yaml, expected) => {
    const control = SECRETS_CONTROLS.find((c) => c.id === id);
    if (!control) throw new Error(`no control ${id}`);
    expect(runControl(control, yaml)).toEqual(expected);
  });

  it('every secrets control has a failing and a passing case', () => {
    expect(missingCases(SECRETS_CONTROLS, cases)).toEqual([]);
  });
});

describe('detectSecret', () => {
  it.each([
    ['k', 'AKIAIOSFODNN7EXAMPLE', 'AWS access key id'],
    ['k', 'AIzaSyA1234567890abcdefghijklmnopqrstuv', 'GCP API key'],
    ['k', '{"type": "service_account", "private_key": "x"}', 'GCP service-account key'],
    ['k', 'xoxb-123456789012-abcdefghij', 'Slack token'],
    ['k', '-----BEGIN OPENSSH PRIVATE KEY-----', 'private key'],
    ['k', JWT, 'JSON Web Token'],
    ['api_key', 'q8Zr2LmX9vT4bN7cK1pW6yH3', 'literal under a credential name'],
    ['DB_PASSWORD', 'S3cr3t!pass', 'literal under a credential name'],
    ['db_password', 'abc123', 'literal under a credential name'],
    ['DATABASE_URL', 'postgres://admin:hunter2@db/x', 'password in a URL'],
    ['DATABASE_URL', 'postgres://admin:${DB_PASSWORD}@db/x', undefined],
    ['PASSWORD_MIN_LENGTH', '12', undefined],
    ['SECRET_NAME', 'db-credentials', undefined],
    ['AUTH_MODE', 'oidc', undefined],
    ['API_TOKEN', '<your token here>', undefined],
    ['API_TOKEN', '$(TOKEN_FROM_ENV)', undefined],
    ['settings.ini', '[db]\nhost = db\npassword = S3cr3t\n', 'credential under password'],
    ['settings.ini', '[db]\nhost = db\npassword = ${DB_PASSWORD}\n', undefined],
    ['description', 'q8Zr2LmX9vT4bN7cK1pW6yH3', undefined],
    ['TOKEN_URL', 'https://auth.example.com/oauth2/v1/token', undefined],
    ['PASSWORD_FILE', '/var/run/secrets/db/password-file', undefined],
    ['API_KEY', '${API_KEY_FROM_VAULT_PLACEHOLDER}', undefined],
    ['password', 'changeme', undefined],
    ['token', 'aaaaaaaaaaaaaaaaaaaaaaaa', undefined],
  ])('%s=%s → %s', (key, value, expected) => {
    expect(detectSecret(key, value)).toBe(expected);
  });

  it('measures entropy in bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });
});
