import { describe, expect, it } from 'vitest';
import { redact, yamlFieldAt } from './kubeconfig.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
users:
- name: u
  user:
    token: t0k3n
    exec:
      args:
      - --region
      env:
      - name: AWS_PROFILE
        value: v
`;

describe('yamlFieldAt', () => {
  it.each([
    [1, 'apiVersion'],
    [6, 'clusters[].cluster.server'],
    [9, 'contexts[].context'],
    [10, 'current-context'],
    [12, 'users[].name'],
    [13, 'users[].user'],
    [14, 'users[].user.token'],
    [15, 'users[].user.exec'],
    [17, 'users[].user.exec.args'],
    [19, 'users[].user.exec.env[].name'],
    [20, 'users[].user.exec.env[].value'],
  ])('line %i is %s', (line, field) => {
    expect(yamlFieldAt(KUBECONFIG, line)).toBe(field);
  });
});

describe('redact', () => {
  it('removes each value and a long prefix of one (an excerpt cut short)', () => {
    const key = 'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=';
    expect(redact(`token abc123xyz and ${key.slice(0, 30)} ...`, ['abc123xyz', key])).toBe(
      'token <redacted> and <redacted>VkFURS ...',
    );
  });
});
