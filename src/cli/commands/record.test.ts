import { describe, expect, it } from 'vitest';
import { Inventory } from '../../core/index.js';
import { parseManifests } from '../../load/index.js';
import { workloadImageRows } from './record.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

function inventory(yaml: string): Inventory {
  const inv = new Inventory();
  for (const r of parseManifests(yaml, 'cluster.yaml').resources) inv.add(r);
  return inv;
}

const pod = (name: string, owner: string, digest: string) => `---
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: shop
  ownerReferences: [{ apiVersion: apps/v1, kind: ReplicaSet, name: ${owner}, controller: true, uid: u }]
spec: { containers: [{ name: api, image: "registry.local/api:1.4" }] }
status:
  containerStatuses: [{ name: api, imageID: "docker-pullable://registry.local/api@${digest}" }]
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  template:
    spec:
      initContainers: [{ name: migrate, image: "registry.local/migrate@${DIGEST_B}" }]
      containers: [{ name: api, image: "registry.local/api:1.4" }, { name: sidecar }]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-5d9
  namespace: shop
  ownerReferences: [{ apiVersion: apps/v1, kind: Deployment, name: api, controller: true, uid: u }]
spec: { template: { spec: { containers: [{ name: api, image: "registry.local/api:1.4" }] } } }
---
apiVersion: v1
kind: PodTemplate
metadata: { name: tpl, namespace: shop }
template: { spec: { containers: [{ name: x, image: "registry.local/x:1" }] } }
`;

describe('workloadImageRows', () => {
  it.each([
    [
      'reports controlled objects through their top owner, the digest the Pods agree on',
      DEPLOYMENT + pod('api-5d9-a', 'api-5d9', DIGEST_A) + pod('api-5d9-b', 'api-5d9', DIGEST_A),
      [
        {
          kind: 'Deployment',
          namespace: 'shop',
          name: 'api',
          container: 'migrate',
          image: `registry.local/migrate@${DIGEST_B}`,
          digest: DIGEST_B,
        },
        {
          kind: 'Deployment',
          namespace: 'shop',
          name: 'api',
          container: 'api',
          image: 'registry.local/api:1.4',
          digest: DIGEST_A,
        },
      ],
    ],
    [
      'leaves the digest out when the Pods disagree (a rollout in progress)',
      DEPLOYMENT + pod('api-5d9-a', 'api-5d9', DIGEST_A) + pod('api-5d9-b', 'api-5d9', DIGEST_B),
      [
        expect.objectContaining({ container: 'migrate', digest: DIGEST_B }),
        {
          kind: 'Deployment',
          namespace: 'shop',
          name: 'api',
          container: 'api',
          image: 'registry.local/api:1.4',
        },
      ],
    ],
    [
      'reports a Pod whose owner is not in the inventory itself',
      pod('lonely', 'gone-rs', DIGEST_A),
      [
        {
          kind: 'Pod',
          namespace: 'shop',
          name: 'lonely',
          container: 'api',
          image: 'registry.local/api:1.4',
          digest: DIGEST_A,
        },
      ],
    ],
    [
      'ignores a malformed status and a huge imageID',
      `apiVersion: v1
kind: Pod
metadata: { name: odd, namespace: shop }
spec: { containers: [{ name: c, image: "busybox" }] }
status: { containerStatuses: [null, 5, { name: c, imageID: "${'x'.repeat(2000)}${DIGEST_A}" }] }
`,
      [{ kind: 'Pod', namespace: 'shop', name: 'odd', container: 'c', image: 'busybox' }],
    ],
  ])('%s', (_label, yaml, want) => {
    expect(workloadImageRows(inventory(yaml))).toEqual(want);
  });
});
