import { describe, expect, it } from 'vitest';
import {
  decideApiServerAnonymous,
  judgeAnonymousSection,
  type AnonymousBasis,
  type AuthenticationConfigInput,
} from './anonymous.js';

const FILE = '/etc/kubernetes/authn.yaml';
const doc = (anonymous?: unknown): AuthenticationConfigInput => ({
  kind: 'read',
  path: FILE,
  document: {
    apiVersion: 'apiserver.config.k8s.io/v1beta1',
    kind: 'AuthenticationConfiguration',
    ...(anonymous !== undefined ? { anonymous } : {}),
  },
});
const health = (...paths: string[]): unknown => ({
  enabled: true,
  conditions: paths.map((path) => ({ path })),
});

type Row = [
  name: string,
  flag: string | undefined,
  config: AuthenticationConfigInput,
  status: 'pass' | 'fail' | 'error',
  basis: AnonymousBasis,
];

// Issue #20: the structured authentication configuration was never read for anonymous access.
const rows: Row[] = [
  ['no file, flag false', 'false', { kind: 'none' }, 'pass', { at: 'flag' }],
  ['no file, flag true', 'true', { kind: 'none' }, 'fail', { at: 'flag' }],
  ['no file, no flag (default enabled)', undefined, { kind: 'none' }, 'fail', { at: 'flag-default' }],
  ['section disables', undefined, doc({ enabled: false }), 'pass', { at: 'enabled' }],
  ['section without enabled (false)', undefined, doc({}), 'pass', { at: 'section' }],
  ['section enabled "false" as text', undefined, doc({ enabled: 'false' }), 'pass', { at: 'enabled' }],
  ['enabled, no conditions', undefined, doc({ enabled: true }), 'fail', { at: 'enabled' }],
  ['enabled, empty conditions', undefined, doc({ enabled: true, conditions: [] }), 'fail', { at: 'enabled' }],
  [
    'enabled, health paths only',
    undefined,
    doc(health('/healthz', '/livez', '/readyz')),
    'pass',
    { at: 'enabled' },
  ],
  [
    'enabled, one other path',
    undefined,
    doc(health('/livez', '/version')),
    'fail',
    { at: 'condition', index: 1 },
  ],
  [
    'enabled, a prefix of a health path',
    undefined,
    doc(health('/healthz/etcd')),
    'fail',
    { at: 'condition', index: 0 },
  ],
  [
    'enabled, condition without path',
    undefined,
    doc({ enabled: true, conditions: [{}] }),
    'fail',
    { at: 'condition', index: 0 },
  ],
  [
    'enabled, conditions not a list',
    undefined,
    doc({ enabled: true, conditions: '/healthz' }),
    'fail',
    { at: 'enabled' },
  ],
  ['enabled is not a boolean', undefined, doc({ enabled: 'yes' }), 'error', { at: 'enabled' }],
  ['section is not a mapping', undefined, doc(['x']), 'error', { at: 'section' }],
  ['flag and section together (refused)', 'false', doc({ enabled: false }), 'fail', { at: 'flag' }],
  ['no section, flag false', 'false', doc(), 'pass', { at: 'flag' }],
  ['no section, no flag (default enabled)', undefined, doc(), 'fail', { at: 'flag-default' }],
  ['no section, flag true', 'true', doc(), 'fail', { at: 'flag' }],
  ['file unreadable', 'false', { kind: 'error', path: FILE, error: 'EACCES' }, 'error', { at: 'file' }],
  ['file not a mapping', undefined, { kind: 'read', path: FILE, document: 'text' }, 'error', { at: 'file' }],
  [
    'file of another kind',
    undefined,
    { kind: 'read', path: FILE, document: { kind: 'EncryptionConfiguration' } },
    'error',
    { at: 'file' },
  ],
  [
    'file not visible, no flag',
    undefined,
    { kind: 'not-visible', path: FILE },
    'fail',
    { at: 'flag-default' },
  ],
  ['file not visible, flag false', 'false', { kind: 'not-visible', path: FILE }, 'pass', { at: 'flag' }],
];

describe('decideApiServerAnonymous', () => {
  it.each(rows)('%s', (_name, flag, config, status, basis) => {
    const d = decideApiServerAnonymous(flag, config);
    expect([d.status, d.basis]).toEqual([status, basis]);
  });

  it('says the answer depends on a file the scan cannot see', () => {
    expect(decideApiServerAnonymous(undefined, { kind: 'not-visible', path: FILE }).message).toContain(
      `unless the anonymous section of ${FILE} (not visible to this scan) says otherwise`,
    );
  });

  it('says the API server refuses the flag and the section together', () => {
    expect(decideApiServerAnonymous('true', doc({ enabled: true })).message).toContain('refuses to start');
  });

  it('notes which health endpoints stay open on a pass', () => {
    const d = decideApiServerAnonymous(undefined, doc(health('/livez', '/readyz', '/livez')));
    expect(d.note).toBe('anonymous requests are allowed to /livez, /readyz only');
  });

  it('never passes a file that could not be read, whatever the flag says', () => {
    for (const flag of [undefined, 'false', 'true'])
      expect(decideApiServerAnonymous(flag, { kind: 'error', path: FILE, error: 'bad' }).status).toBe(
        'error',
      );
  });
});

describe('judgeAnonymousSection', () => {
  it('names the file and the offending path', () => {
    const d = judgeAnonymousSection({ enabled: true, conditions: [{ path: '/api' }] }, 'a.yaml');
    expect(d.message).toBe(
      'a.yaml lets anonymous requests reach /api, which is not a health endpoint (/healthz, /livez, /readyz)',
    );
  });
});
