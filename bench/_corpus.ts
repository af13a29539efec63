import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const IMAGES = [
  'nginx:1.25',
  'nginx:latest',
  'redis:7.4.1',
  'registry.local/team/api',
  'postgres:16.4@sha256:' + 'b'.repeat(64),
];

/**
 * Share of workloads written the way a repository that already gates on a scanner writes them:
 * 3 in 4 Deployments and CronJobs are hardened (digest-pinned images, probes, requests and
 * limits, a restricted securityContext, no token automount); the rest are the weak ones below.
 */
export const HARDENED_SHARE = 0.75;

function hardened(i: number): boolean {
  return i % 4 !== 0;
}

const DIGEST_IMAGE = 'registry.local/team/api@sha256:' + 'a'.repeat(64);

const HARDENED_CONTAINER = `          image: ${DIGEST_IMAGE}
          imagePullPolicy: IfNotPresent
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
          securityContext:
            privileged: false
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 10001
            runAsGroup: 10001
            capabilities: {drop: [ALL]}
`;

function hardenedDeployment(ns: string, i: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: ${ns}
  labels: {app: app-${i}, tier: backend}
spec:
  replicas: 2
  selector:
    matchLabels: {app: app-${i}}
  template:
    metadata:
      labels: {app: app-${i}, tier: backend}
    spec:
      serviceAccountName: app-${i}
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: main
${HARDENED_CONTAINER}          ports:
            - {name: http, containerPort: 8080}
          env:
            - name: LOG_LEVEL
              value: info
          livenessProbe:
            httpGet: {path: /healthz, port: http}
          readinessProbe:
            httpGet: {path: /ready, port: http}
`;
}

function hardenedCronJob(ns: string, i: number): string {
  return `apiVersion: batch/v1
kind: CronJob
metadata: {name: job-${i}, namespace: ${ns}}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          labels: {app: app-${i}}
        spec:
          restartPolicy: OnFailure
          serviceAccountName: job-${i}
          automountServiceAccountToken: false
          securityContext:
            runAsNonRoot: true
            seccompProfile: {type: RuntimeDefault}
          containers:
            - name: job
${HARDENED_CONTAINER.replace(/^ {10}/gm, '              ')}              command: ["/bin/run", "--once"]
`;
}

function deployment(ns: string, i: number): string {
  if (hardened(i >> 1)) return hardenedDeployment(ns, i);
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: ${ns}
  labels: {app: app-${i}, tier: backend}
spec:
  replicas: 2
  selector:
    matchLabels: {app: app-${i}}
  template:
    metadata:
      labels: {app: app-${i}, tier: backend}
    spec:
      serviceAccountName: app-${i}
      containers:
        - name: main
          image: ${IMAGES[i % IMAGES.length]}
          ports:
            - {name: http, containerPort: 8080}
          env:
            - name: LOG_LEVEL
              value: info
          resources:
            requests: {cpu: 100m, memory: 128Mi}
${i % 3 === 0 ? '' : '            limits: {cpu: 500m, memory: 256Mi}\n'}          securityContext:
            privileged: ${i % 7 === 0}
            allowPrivilegeEscalation: false
        - name: sidecar
          image: ${IMAGES[(i + 1) % IMAGES.length]}
          args: ["--port", "9090"]
`;
}

const OTHERS: ((ns: string, i: number) => string)[] = [
  (ns, i) => `apiVersion: v1
kind: Service
metadata:
  name: svc-${i}
  namespace: ${ns}
spec:
  selector: {app: app-${i}}
  ports:
    - {name: http, port: 80, targetPort: http}
`,
  (ns, i) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: config-${i}
  namespace: ${ns}
data:
  settings.yaml: |
    cache: true
    ttl: ${i}
  FEATURE_FLAGS: "a,b,c"
`,
  (ns, i) =>
    hardened(i >> 1)
      ? hardenedCronJob(ns, i)
      : `apiVersion: batch/v1
kind: CronJob
metadata: {name: job-${i}, namespace: ${ns}}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: job
              image: ${IMAGES[i % IMAGES.length]}
              command: ["/bin/run", "--once"]
`,
  (ns, i) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: role-${i}, namespace: ${ns}}
rules:
  - apiGroups: [""]
    resources: ["pods", "configmaps"]
    verbs: ["get", "list", "watch"]
`,
  (ns, i) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np-${i}, namespace: ${ns}}
spec:
  podSelector:
    matchLabels: {app: app-${i}}
  ingress:
    - from:
        - podSelector: {matchLabels: {tier: frontend}}
      ports:
        - {protocol: TCP, port: 8080}
`,
];

/** Writes `files` files of `perFile` mixed resources each under `dir`; returns the file paths. */
export function writeCorpus(dir: string, files: number, perFile: number): string[] {
  const paths: string[] = [];
  let n = 0;
  for (let f = 0; f < files; f++) {
    const ns = `team-${f % 50}`;
    const docs: string[] = [];
    for (let d = 0; d < perFile; d++, n++) {
      docs.push(d % 2 === 0 ? deployment(ns, n) : (OTHERS[n % OTHERS.length] ?? deployment)(ns, n));
    }
    const sub = path.join(dir, `team-${f % 50}`);
    mkdirSync(sub, { recursive: true });
    const p = path.join(sub, `manifest-${f}.yaml`);
    writeFileSync(p, docs.join('---\n'));
    paths.push(p);
  }
  return paths;
}
