import { describe, expect, it } from 'vitest';
import type { Resource } from '../core/index.js';
import { parseManifests } from '../load/index.js';
import type { ImageReference } from './reference.js';
import type { ImageFinding, ImageScanResult } from './scan.js';
import {
  collectWorkloadImages,
  countedVulnerabilities,
  groupByDigest,
  imageFindings,
  planImageScans,
  type ImageOutcome,
} from './workload-images.js';
import { scanWorkloadImages, type WorkloadImagePorts } from './workload-scan.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function load(yaml: string): Resource[] {
  const parsed = parseManifests(yaml, 'w.yaml');
  if (parsed.issues.length > 0) throw new Error(JSON.stringify(parsed.issues));
  return parsed.resources;
}

const WORKLOADS = `apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop}
spec:
  initContainers:
    - name: init
      image: registry.local:5000/shop/init:1
  containers:
    - name: app
      image: registry.local:5000/shop/app:v1
  ephemeralContainers:
    - name: dbg
      image: busybox
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: registry.local:5000/shop/app@${D1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - image: registry.local:5000/shop/app:v1
        - name: noimage
`;

function finding(
  id: string,
  severity: string,
  fixed?: string,
  extra: Partial<ImageFinding> = {},
): ImageFinding {
  return {
    id,
    severity,
    package: {
      name: 'musl',
      version: '1.2.4-r2',
      purl: 'pkg:apk/alpine/musl@1.2.4-r2',
      ecosystem: 'Alpine:v3.19',
      location: { layerDigest: D2, path: 'lib/apk/db/installed' },
    },
    ...(fixed !== undefined ? { fixedVersion: fixed } : {}),
    ...extra,
  };
}

describe('collectWorkloadImages', () => {
  it('finds init, regular and ephemeral containers of every workload kind, CronJob templates included', () => {
    const uses = collectWorkloadImages(load(WORKLOADS));
    expect(
      uses.map((u) => [
        u.resource.ref.kind,
        u.container,
        u.path,
        u.image,
        u.resource.source?.locate(u.path).line,
      ]),
    ).toEqual([
      ['Pod', 'init', 'spec.initContainers[0].image', 'registry.local:5000/shop/init:1', 7],
      ['Pod', 'app', 'spec.containers[0].image', 'registry.local:5000/shop/app:v1', 10],
      ['Pod', 'dbg', 'spec.ephemeralContainers[0].image', 'busybox', 13],
      [
        'CronJob',
        'job',
        'spec.jobTemplate.spec.template.spec.containers[0].image',
        `registry.local:5000/shop/app@${D1}`,
        26,
      ],
      ['Deployment', '#0', 'spec.template.spec.containers[0].image', 'registry.local:5000/shop/app:v1', 42],
      ['Deployment', 'noimage', 'spec.template.spec.containers[1].image', '', 43],
    ]);
  });
});

describe('planImageScans and groupByDigest', () => {
  it('keeps one entry per reference text and resolves each tag once', () => {
    const uses = collectWorkloadImages(load(WORKLOADS));
    const plan = planImageScans(uses);
    expect(plan.references.map((r) => [r.text, r.uses.length, r.error !== undefined])).toEqual([
      ['registry.local:5000/shop/init:1', 1, false],
      ['registry.local:5000/shop/app:v1', 2, false],
      ['busybox', 1, false],
      [`registry.local:5000/shop/app@${D1}`, 1, false],
      ['', 1, true],
    ]);
    expect(plan.tags).toEqual([
      'registry.local:5000/shop/init:1',
      'registry.local:5000/shop/app:v1',
      'docker.io/library/busybox:latest',
    ]);
  });

  it('spellings of one tag are resolved once', () => {
    const uses = collectWorkloadImages(
      load(
        ['nginx', 'nginx:latest', 'docker.io/library/nginx', 'docker.io/library/nginx:latest']
          .map(
            (image, i) =>
              `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec: {containers: [{name: c, image: "${image}"}]}\n`,
          )
          .join('---\n'),
      ),
    );
    const plan = planImageScans(uses);
    expect(plan.references).toHaveLength(4);
    expect(plan.tags).toEqual(['docker.io/library/nginx:latest']);
  });

  it('a tag and a digest naming the same content form one group; failures are kept apart with why', () => {
    const plan = planImageScans(collectWorkloadImages(load(WORKLOADS)));
    const { groups, unresolved } = groupByDigest(
      plan,
      new Map([
        ['registry.local:5000/shop/app:v1', { digest: D1 }],
        ['registry.local:5000/shop/init:1', { digest: D2 }],
        ['docker.io/library/busybox:latest', { error: 'registry docker.io: connection timed out' }],
      ]),
    );
    expect(groups.map((g) => [g.digest, g.references.map((r) => r.text)])).toEqual([
      [D2, ['registry.local:5000/shop/init:1']],
      [D1, ['registry.local:5000/shop/app:v1', `registry.local:5000/shop/app@${D1}`]],
    ]);
    expect(unresolved.map((u) => [u.reference.text, u.error])).toEqual([
      ['busybox', 'registry docker.io: connection timed out'],
      ['', 'the container names no image'],
    ]);
  });
});

describe('running containers of a live Pod', () => {
  const LIVE = `apiVersion: v1
kind: Pod
metadata: {name: live, namespace: shop}
spec:
  initContainers: [{name: init, image: "nginx:1.25"}]
  containers:
    - {name: app, image: "nginx:1.25"}
    - {name: local, image: "nginx:1.25"}
    - {name: pinned, image: "nginx@${D2}"}
status:
  initContainerStatuses: [{name: init, imageID: "docker.io/library/nginx@${D1}"}]
  containerStatuses:
    - {name: app, imageID: "docker-pullable://nginx@${D1}"}
    - {name: local, imageID: "sha256:${'3'.repeat(64)}"}
    - {name: pinned, imageID: "docker.io/library/nginx@${D1}"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "nginx:1.25"}]}
`;

  it('a tag is taken at the digest the node pulled; a pinned digest and an image ID without a repository are not replaced', () => {
    const uses = collectWorkloadImages(load(LIVE));
    expect(uses.map((u) => [u.container, u.runningDigest])).toEqual([
      ['init', D1],
      ['app', D1],
      ['local', undefined],
      ['pinned', D1],
      ['app', undefined],
    ]);
    const plan = planImageScans(uses);
    expect(plan.references.map((r) => [r.text, r.ref?.digest, r.uses.map((u) => u.container)])).toEqual([
      ['nginx:1.25', D1, ['init', 'app']],
      ['nginx:1.25', undefined, ['local', 'app']],
      [`nginx@${D2}`, D2, ['pinned']],
    ]);
    expect(plan.tags).toEqual(['docker.io/library/nginx:1.25']);
    const { groups } = groupByDigest(plan, new Map([['docker.io/library/nginx:1.25', { digest: D2 }]]));
    expect(groups.map((g) => [g.digest, g.references.length])).toEqual([
      [D1, 1],
      [D2, 2],
    ]);
  });
});

describe('countedVulnerabilities', () => {
  const all = [
    finding('CVE-L', 'low', '2'),
    finding('CVE-C', 'critical', '3'),
    finding('CVE-H2', 'high', undefined, { cvssScore: 7.5 }),
    finding('CVE-H1', 'high', '4', { cvssScore: 8.1 }),
    finding('CVE-U', 'unknown'),
    finding('CVE-VEX', 'critical', '5', { suppressed: true }),
  ];
  it.each([
    ['info', ['CVE-C', 'CVE-H1', 'CVE-H2', 'CVE-L', 'CVE-U']],
    ['low', ['CVE-C', 'CVE-H1', 'CVE-H2', 'CVE-L']],
    ['high', ['CVE-C', 'CVE-H1', 'CVE-H2']],
    ['critical', ['CVE-C']],
  ] as const)('at or above %s, worst first, VEX-suppressed left out', (threshold, ids) => {
    expect(countedVulnerabilities(all, threshold).map((f) => f.id)).toEqual(ids);
  });
});

describe('imageFindings', () => {
  const plan = planImageScans(collectWorkloadImages(load(WORKLOADS)));
  const ref = (text: string) => {
    const r = plan.references.find((p) => p.text === text);
    if (!r) throw new Error(text);
    return r;
  };
  const vulnerable: ImageOutcome = {
    digest: D1,
    scanned: true,
    findings: [
      finding('CVE-2099-0001', 'critical', '1.2.4-r3'),
      finding('CVE-2099-0002', 'medium', '1.2.4-r5'),
      finding('CVE-2099-0003', 'low'),
      finding('CVE-2099-0004', 'low'),
    ],
  };

  it('one finding per container running the image, at its image field, with the worst severity and the top CVEs', () => {
    const out = imageFindings([{ reference: ref('registry.local:5000/shop/app:v1'), outcome: vulnerable }]);
    expect(out.map((f) => [f.controlId, f.severity, f.resource.kind, f.fieldPath, f.location?.line])).toEqual(
      [
        ['image/vulnerabilities', 'critical', 'Pod', 'spec.containers[0].image', 10],
        ['image/vulnerabilities', 'critical', 'Deployment', 'spec.template.spec.containers[0].image', 42],
      ],
    );
    expect(out[0]?.message).toBe(
      `container "app": image "registry.local:5000/shop/app:v1" (${D1}) has 4 known vulnerabilities (critical 1, medium 1, low 2): CVE-2099-0001 in musl 1.2.4-r2 (fixed in 1.2.4-r3), CVE-2099-0002 in musl 1.2.4-r2 (fixed in 1.2.4-r5), CVE-2099-0003 in musl 1.2.4-r2 (no fix), and 1 more`,
    );
  });

  it.each([
    ['low', 4, 'critical'],
    ['medium', 2, 'critical'],
    ['critical', 1, 'critical'],
  ] as const)('--severity %s counts %i and keeps the worst as the severity', (severity, count, worst) => {
    const out = imageFindings(
      [{ reference: ref(`registry.local:5000/shop/app@${D1}`), outcome: vulnerable }],
      {
        severity,
      },
    );
    expect(out).toHaveLength(1);
    expect(out[0]?.severity).toBe(worst);
    expect(out[0]?.message).toContain(`has ${count} known vulnerabilit`);
    expect(out[0]?.message).toContain(`at or above ${severity}`);
  });

  it('no finding when nothing reaches the threshold or every match is suppressed by VEX', () => {
    expect(
      imageFindings(
        [
          {
            reference: ref('busybox'),
            outcome: { digest: D2, scanned: true, findings: [finding('X', 'low')] },
          },
        ],
        { severity: 'medium' },
      ),
    ).toEqual([]);
    expect(
      imageFindings([
        {
          reference: ref('busybox'),
          outcome: { digest: D2, scanned: true, findings: [finding('X', 'high', '2', { suppressed: true })] },
        },
      ]),
    ).toEqual([]);
  });

  it('an image that was not scanned is a finding of its own kind on every container, with the configured severity', () => {
    const out = imageFindings(
      [
        {
          reference: ref('registry.local:5000/shop/app:v1'),
          outcome: { digest: D1, scanned: false, error: 'registry registry.local:5000: connection refused' },
        },
      ],
      { notScannedSeverity: 'high' },
    );
    expect(out.map((f) => [f.controlId, f.severity, f.location?.line])).toEqual([
      ['image/not-scanned', 'high', 10],
      ['image/not-scanned', 'high', 42],
    ]);
    expect(out[0]?.message).toBe(
      `container "app": image "registry.local:5000/shop/app:v1" (${D1}) was not scanned: registry registry.local:5000: connection refused`,
    );
  });
});

/** In-memory registry: tags to digests, digests to scan results, and a count of every call. */
function memoryPorts(
  tags: Record<string, string>,
  images: Record<string, ImageFinding[]>,
  failing: Set<string> = new Set(),
): WorkloadImagePorts & { resolved: string[]; scanned: string[] } {
  const resolved: string[] = [];
  const scanned: string[] = [];
  return {
    resolved,
    scanned,
    resolve(ref: ImageReference) {
      const key = `${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`;
      resolved.push(key);
      const d = tags[key];
      return d !== undefined ? Promise.resolve(d) : Promise.reject(new Error(`manifest not found: ${key}`));
    },
    scan(ref: ImageReference) {
      const key = `${ref.registry}/${ref.repository}@${ref.digest ?? ''}`;
      scanned.push(key);
      const findings = images[ref.digest ?? ''];
      if (findings === undefined || failing.has(`${ref.registry}/${ref.repository}`))
        return Promise.reject(new Error(`cannot pull ${key}`));
      const result: ImageScanResult = {
        name: key,
        manifestDigest: ref.digest ?? '',
        config: {},
        layers: [],
        packages: [],
        skipped: [],
        findings,
      };
      return Promise.resolve(result);
    },
  };
}

function pods(images: readonly string[]): string {
  return images
    .map(
      (image, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec: {containers: [{name: c, image: ${JSON.stringify(image)}}]}\n`,
    )
    .join('---\n');
}

describe('scanWorkloadImages', () => {
  it('5,000 references to one image: one resolution, one pull, 5,000 findings', async () => {
    const ports = memoryPorts({ 'r.local/shop/app:v1': D1 }, { [D1]: [finding('CVE-1', 'high', '2')] });
    const uses = collectWorkloadImages(load(pods(Array.from({ length: 5000 }, () => 'r.local/shop/app:v1'))));
    const r = await scanWorkloadImages(uses, ports);
    expect(ports.resolved).toEqual(['r.local/shop/app:v1']);
    expect(ports.scanned).toEqual([`r.local/shop/app@${D1}`]);
    expect(r.findings).toHaveLength(5000);
    expect(r.summary).toMatchObject({
      containers: 5000,
      references: 1,
      digests: 1,
      scanned: 1,
      vulnerabilities: 1,
    });
  });

  it('a tag and a digest of the same content are pulled once, and the result reaches both', async () => {
    const ports = memoryPorts({ 'r.local/shop/app:v1': D1 }, { [D1]: [finding('CVE-1', 'critical', '2')] });
    const uses = collectWorkloadImages(load(pods(['r.local/shop/app:v1', `r.local/shop/app@${D1}`])));
    const r = await scanWorkloadImages(uses, ports);
    expect(ports.scanned).toHaveLength(1);
    expect(r.findings.map((f) => [f.resource.name, f.controlId, f.severity])).toEqual([
      ['p0', 'image/vulnerabilities', 'critical'],
      ['p1', 'image/vulnerabilities', 'critical'],
    ]);
    expect(r.scanned.map((s) => s.references)).toEqual([['r.local/shop/app:v1', `r.local/shop/app@${D1}`]]);
  });

  it('a digest that one repository cannot serve is pulled from another that names it', async () => {
    const ports = memoryPorts({}, { [D1]: [] }, new Set(['r.local/gone']));
    const uses = collectWorkloadImages(load(pods([`r.local/gone@${D1}`, `r.local/shop/app@${D1}`])));
    const r = await scanWorkloadImages(uses, ports);
    expect(ports.scanned).toEqual([`r.local/gone@${D1}`, `r.local/shop/app@${D1}`]);
    expect(r.summary.scanned).toBe(1);
    expect(r.findings).toEqual([]);
  });

  it('garbage, unresolvable and unpullable references are not-scanned findings, never a throw', async () => {
    const ports = memoryPorts({ 'r.local/shop/broken:1': D2 }, {});
    const garbage = [
      'UPPER/Case:1',
      'a'.repeat(5000),
      'x@sha256:abc',
      ':::',
      'r.local/shop/none:1',
      'r.local/shop/broken:1',
    ];
    const uses = collectWorkloadImages(load(pods(garbage)));
    const r = await scanWorkloadImages(uses, ports, { notScannedSeverity: 'medium' });
    expect(r.findings.map((f) => [f.resource.name, f.controlId, f.severity])).toEqual(
      garbage.map((_, i) => [`p${i}`, 'image/not-scanned', 'medium']),
    );
    expect(r.summary.notScanned.map((n) => n.reason)).toEqual([
      'image reference "UPPER/Case:1": invalid repository name',
      'the image reference is longer than 1024 characters',
      'image reference "x@sha256:abc": invalid digest',
      expect.stringContaining('image reference ":::"'),
      'manifest not found: r.local/shop/none:1',
      `cannot pull r.local/shop/broken@${D2}`,
    ]);
    expect(r.summary.scanned).toBe(0);
  });

  it('never runs more than `concurrency` scans at once', async () => {
    let running = 0;
    let peak = 0;
    const digests = Array.from({ length: 12 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
    const ports: WorkloadImagePorts = {
      resolve: () => Promise.reject(new Error('no tags here')),
      async scan(ref) {
        running++;
        peak = Math.max(peak, running);
        await Promise.resolve();
        await Promise.resolve();
        running--;
        return {
          name: '',
          manifestDigest: ref.digest ?? '',
          config: {},
          layers: [],
          packages: [],
          skipped: [],
          findings: [],
        };
      },
    };
    const uses = collectWorkloadImages(load(pods(digests.map((d) => `r.local/a@${d}`))));
    const r = await scanWorkloadImages(uses, ports, { concurrency: 3 });
    expect(r.summary.scanned).toBe(12);
    expect(peak).toBe(3);
  });
});
