import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_CHARS, ManifestStream, parseManifests } from './manifests.js';
import { decodeUtf8, readManifestBytes } from './files.js';
import { isBlankRange, splitDocuments } from './yaml-documents.js';

const deployment = `# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.25
        - name: sidecar
          image: busybox
          securityContext:
            privileged: true
`;

function locate(text: string, path: string, doc = 0): { line: number; column: number } {
  const parsed = parseManifests(text, 'f.yaml');
  expect(parsed.issues).toEqual([]);
  const r = parsed.resources[doc];
  if (!r?.source) throw new Error('no resource');
  return r.source.locate(path);
}

describe('parseManifests locations', () => {
  it.each([
    ['', 2, 1],
    ['metadata.name', 5, 3],
    ['spec.template.spec.containers[0]', 11, 11],
    ['spec.template.spec.containers[0].image', 12, 11],
    ['spec.template.spec.containers[1].securityContext.privileged', 16, 13],
    // A path that goes past what exists resolves to the deepest known ancestor.
    ['spec.template.spec.containers[1].securityContext.runAsUser', 15, 11],
    ['spec.template.spec.containers[7].image', 10, 7],
  ])('block style: %s -> %i:%i', (path, line, column) => {
    expect(locate(deployment, path)).toEqual({ line, column });
  });

  const flow = `apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: web}}
spec:
  containers: [{name: a, image: "nginx:latest"}, {name: b, image: x, securityContext: {privileged: true}}]
`;
  it.each([
    ['metadata.name', 3, 12],
    ['metadata.labels.app', 3, 30],
    ['spec.containers[0].image', 5, 26],
    ['spec.containers[1]', 5, 50],
    ['spec.containers[1].securityContext.privileged', 5, 88],
  ])('flow style: %s -> %i:%i', (path, line, column) => {
    expect(locate(flow, path)).toEqual({ line, column });
  });

  const multi = `apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
# second
apiVersion: v1
kind: Pod
metadata:
  name: b
spec:
  containers:
  - name: c
    image: x
...
---
apiVersion: v1
kind: Service
metadata:
  name: c
`;
  it.each([
    [0, 'metadata.name', 3, 12],
    [1, 'metadata.name', 9, 3],
    [1, 'spec.containers[0].image', 13, 5],
    [2, 'metadata.name', 19, 3],
  ])('multi-document: doc %i %s -> %i:%i', (doc, path, line, column) => {
    expect(locate(multi, path, doc)).toEqual({ line, column });
  });

  it('keeps quoted keys with dots addressable', () => {
    const text =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app.kubernetes.io/name: web\n';
    expect(locate(text, 'metadata.labels["app.kubernetes.io/name"]')).toEqual({ line: 6, column: 5 });
  });

  it('expands List items with their own paths', () => {
    const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: one}
- apiVersion: v1
  kind: Pod
  metadata:
    name: two
`;
    const parsed = parseManifests(text, 'list.yaml');
    expect(parsed.resources.map((r) => r.ref.name)).toEqual(['one', 'two']);
    expect(parsed.resources[1]?.source?.locate('metadata.name')).toEqual({ line: 10, column: 5 });
  });

  it('gives items of a typed list (an API list response) the kind the list implies', () => {
    const text = `{
  "kind": "PodList",
  "apiVersion": "v1",
  "metadata": {"resourceVersion": "12"},
  "items": [
    {"metadata": {"name": "one", "namespace": "shop"},
     "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
    {"kind": "Pod", "metadata": {"name": "two"}}
  ]
}
`;
    const parsed = parseManifests(text, 'pods.json');
    expect(parsed.issues).toEqual([]);
    expect(parsed.resources.map((r) => r.ref)).toEqual([
      { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'one' },
      { apiVersion: 'v1', kind: 'Pod', name: 'two' },
    ]);
    expect(parsed.resources[0]?.source?.locate('spec.containers[0].image')).toEqual({ line: 7, column: 46 });
  });

  it.each([
    [
      'a plain List',
      'apiVersion: v1\nkind: List\nitems:\n- metadata: {name: x}\n',
      /items\[0\]: .*missing apiVersion and kind/,
    ],
    [
      'a typed list item that is not a mapping',
      'apiVersion: v1\nkind: PodList\nitems:\n- just text\n',
      /items\[0\]: not a Kubernetes object/,
    ],
  ])('still rejects an item of %s without its kind', (_name, text, message) => {
    const parsed = parseManifests(text, 'list.yaml');
    expect(parsed.resources).toEqual([]);
    expect(parsed.issues[0]?.message).toMatch(message);
  });

  it('resolves anchors, aliases and merge keys', () => {
    const text = `apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: &l {app: web}
  annotations: *l
spec:
  containers:
  - &c
    name: a
    image: x
  - <<: *c
    name: b
`;
    const parsed = parseManifests(text, 'a.yaml');
    expect(parsed.issues).toEqual([]);
    const obj = parsed.resources[0]?.object as unknown as {
      spec: { containers: { name: string; image: string }[] };
    };
    expect(obj.spec.containers[1]).toEqual({ name: 'b', image: 'x' });
    expect(parsed.resources[0]?.source?.locate('spec.containers[1].name')).toEqual({ line: 13, column: 5 });
  });
});

describe('parseManifests Helm output', () => {
  const rendered = `---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: "nginx:latest"
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
`;
  it('attributes objects to their template, counting lines within it', () => {
    const parsed = parseManifests(rendered, '<stdin>');
    expect(parsed.issues).toEqual([]);
    const [svc, web, worker] = parsed.resources;
    expect(svc?.source?.file).toBe('shop/templates/service.yaml');
    expect(svc?.source?.locate('metadata.name')).toEqual({ line: 6, column: 3 });
    expect(web?.source?.file).toBe('shop/templates/deployment.yaml');
    expect(web?.source?.locate('spec.template.spec.containers[0].image')).toEqual({ line: 12, column: 11 });
    // The second document of the same template continues that template's numbering.
    expect(worker?.source?.locate('metadata.name')).toEqual({ line: 18, column: 3 });
  });
});

describe('parseManifests bad input', () => {
  it.each([
    ['a syntax error', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n', 5, /invalid YAML/],
    ['a scalar document', 'just a string\n', 1, /not a Kubernetes object.*found a string/],
    ['a document without kind', 'apiVersion: v1\nmetadata: {name: x}\n', 1, /missing kind/],
    ['a document without apiVersion and kind', 'metadata: {name: x}\n', 1, /missing apiVersion and kind/],
  ])('reports %s with its line', (_name, text, line, message) => {
    const parsed = parseManifests(text, 'bad.yaml');
    expect(parsed.resources).toEqual([]);
    expect(parsed.issues).toHaveLength(1);
    expect(parsed.issues[0]).toMatchObject({ file: 'bad.yaml', line });
    expect(parsed.issues[0]?.message).toMatch(message);
  });

  it('keeps the good documents of a file with one broken document', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n';
    const parsed = parseManifests(text, 'mixed.yaml');
    expect(parsed.resources.map((r) => r.ref.name)).toEqual(['a', 'b']);
    expect(parsed.issues).toHaveLength(1);
    expect(parsed.issues[0]?.line).toBeGreaterThanOrEqual(5);
  });

  it('rejects an alias bomb instead of expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array.from({ length: 9 }, () => `*${prev}`).join(',')}]`);
    }
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`;
    const parsed = parseManifests(text, 'bomb.yaml');
    expect(parsed.resources).toEqual([]);
    expect(parsed.issues[0]?.message).toMatch(/aliases expand to more than/);
  });

  it('ignores empty documents and comment-only documents', () => {
    const parsed = parseManifests(
      '---\n# nothing\n---\n\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n',
      'e.yaml',
    );
    expect(parsed.issues).toEqual([]);
    expect(parsed.resources).toHaveLength(1);
  });
});

describe('decodeUtf8', () => {
  it('locates the first invalid byte', () => {
    const bytes = Buffer.concat([
      Buffer.from('apiVersion: v1\nkind: Pod\nmetadata: {name: '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('}\n'),
    ]);
    const r = decodeUtf8(bytes);
    expect(r).toMatchObject({ ok: false, line: 3, column: 18 });
  });
  it('accepts UTF-8 with a byte-order mark', () => {
    expect(decodeUtf8(Buffer.from('\ufeffkind: x\n'))).toEqual({ ok: true, value: 'kind: x\n' });
  });
});

describe('banner comments (linear time)', () => {
  const pod = (name: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n`;
  const banner = (n: number, doc: number): string =>
    `---\n${'#'.repeat(n)}\n# document ${doc}\n${'#'.repeat(n)}\n`;

  // The blank-document check once backtracked exponentially on a run of `#`: 26 took 5 s.
  it.each([26, 40, 10_000])(
    'reads a file whose documents open with a banner of %i `#`',
    (n) => {
      const text = [0, 1, 2].map((d) => `${banner(n, d)}${pod(`p${d}`)}`).join('') + banner(n, 3);
      const parsed = parseManifests(text, 'banner.yaml');
      expect(parsed.issues).toEqual([]);
      expect(parsed.resources.map((r) => r.object.metadata?.name)).toEqual(['p0', 'p1', 'p2']);
      expect(parsed.resources[1]?.source?.locate('metadata.name').line).toBe(16);
    },
    1000,
  );

  it('finds a document holding only comment banners blank', () => {
    const text = `${banner(10_000, 0)}${'#'.repeat(10_000)} trailing\n\u00a0\t\n`;
    expect(parseManifests(text, 'blank.yaml')).toMatchObject({ resources: [], issues: [], documents: 0 });
  }, 1000);
});

/** Everything a scan reads of a parse: references, sources, every path's location, issues. */
function summary(parsed: ReturnType<typeof parseManifests>): unknown {
  const paths = ['', 'metadata', 'metadata.name', 'spec', 'spec.containers[0].image', 'data.k', 'items[0]'];
  return {
    documents: parsed.documents,
    issues: parsed.issues,
    resources: parsed.resources.map((r) => ({
      ref: r.ref,
      file: r.source?.file,
      doc: r.source?.docIndex,
      at: paths.map((p) => r.source?.locate(p)),
    })),
  };
}

/** Feeds `text` to a ManifestStream in pieces of `size` characters. */
function inPieces(text: string, size: number): ReturnType<typeof parseManifests> {
  const stream = new ManifestStream('f.yaml');
  for (let i = 0; i < text.length; i += size) stream.push(text.slice(i, i + size));
  return stream.end();
}

describe('ManifestStream (text in pieces)', () => {
  const pod = (name: string): string =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers:\n    - image: x\n`;
  const texts: [string, string][] = [
    ['plain stream', `${pod('a')}---\n${pod('b')}---\n${pod('c')}`],
    [
      'CRLF and a marker with content',
      `--- # first\r\n${pod('a').replaceAll('\n', '\r\n')}--- {apiVersion: v1, kind: ConfigMap, metadata: {name: m}, data: {k: v}}\r\n`,
    ],
    ['end markers and blank documents', `---\n---\n# only a comment\n...\n${pod('a')}...\n---\n${pod('b')}`],
    ['markers that are not markers', `${pod('a')}  ---\n----\n---x: 1\n`],
    ['a broken document between good ones', `${pod('a')}---\nkind: [\n---\n${pod('b')}`],
    [
      'Helm sources',
      `---\n# Source: c/templates/a.yaml\n${pod('a')}---\n# Source: c/templates/a.yaml\n${pod('b')}---\n# Source: c/templates/b.yaml\n${pod('c')}`,
    ],
    [
      'a List',
      `apiVersion: v1\nkind: List\nitems:\n  - ${pod('a').replaceAll('\n', '\n    ').trimEnd()}\n  - {kind: Pod}\n`,
    ],
    ['no final newline', `${pod('a')}---\n${pod('b').trimEnd()}`],
    ['a marker at the very end', `${pod('a')}---`],
    [
      'dashes and dots inside lines',
      `${pod('a')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: 'x---y'}\ndata: {k: "a...b---c", j: ----}\n...\n---\n${pod('b')}`,
    ],
    [
      'non-ASCII text',
      `${pod('ä')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: "\u{1F600}"}\ndata: {k: "é"}\n`,
    ],
  ];
  it.each(texts)('%s: the same objects, locations and issues whatever the pieces', (_name, text) => {
    const whole = summary(parseManifests(text, 'f.yaml'));
    for (const size of [1, 2, 3, 4, 5, 7, 16, 61]) expect(summary(inPieces(text, size))).toEqual(whole);
  });

  it('finds the same documents around one longer than a part (set aside while read)', () => {
    const long = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n${'  k: x\n'.repeat(1_000_000)}`;
    const text = `${pod('a')}---\n${long}---\n${pod('b')}`;
    const whole = summary(parseManifests(text, 'f.yaml'));
    for (const size of [1 << 20, 999_999]) expect(summary(inPieces(text, size))).toEqual(whole);
  });

  it('numbers documents as splitDocuments splits them', () => {
    const text = texts[2]?.[1] ?? '';
    const docs = parseManifests(text, 'f.yaml').resources.map((r) => r.source?.docIndex);
    const chunks = splitDocuments(text);
    const withContent = chunks.flatMap((c, i) => (isBlankRange(text, c.start, c.end) ? [] : [i]));
    expect(docs).toEqual(withContent);
  });

  it('stops reading a file at a document too long to hold, with its line', () => {
    const stream = new ManifestStream('big.yaml');
    stream.push(`${pod('a')}---\nkey: |\n`);
    const line = 'x'.repeat(1 << 20);
    for (let i = 0; i * line.length <= MAX_DOCUMENT_CHARS; i++) stream.push(`  ${line}\n`);
    const parsed = stream.end();
    expect(parsed.resources.map((r) => r.ref.name)).toEqual(['a']);
    expect(parsed.issues).toEqual([
      expect.objectContaining({
        file: 'big.yaml',
        // Where the document starts: just after its `---`.
        line: 7,
        column: 4,
        message: expect.stringContaining('document longer than 256 MiB') as unknown,
      }),
    ]);
  });
});

describe('readManifestBytes (bytes in chunks)', () => {
  const read = (bytes: Buffer, size: number) =>
    readManifestBytes('f.yaml', (emit) => {
      for (let i = 0; i < bytes.length; i += size) if (!emit(bytes.subarray(i, i + size))) return;
    });

  it('decodes characters split between chunks and drops a byte-order mark', () => {
    const bytes = Buffer.from('\ufeffapiVersion: v1\nkind: ConfigMap\nmetadata: {name: "\u{1F600}é"}\n');
    for (const size of [1, 2, 3, 5, 64]) {
      const r = read(bytes, size);
      if (!r.ok) throw new Error(r.issue.message);
      expect(r.parsed.resources.map((x) => x.ref.name)).toEqual(['\u{1F600}é']);
      expect(r.parsed.resources[0]?.source?.locate('metadata.name')).toEqual({ line: 3, column: 12 });
    }
  });

  it('locates an invalid byte as decodeUtf8 does, in any chunk, and keeps no object of the file', () => {
    const bytes = Buffer.concat([
      Buffer.from(
        'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: ',
      ),
      Buffer.from([0xe2, 0x28]),
      Buffer.from('}\n'),
    ]);
    const expected = decodeUtf8(bytes);
    if (expected.ok) throw new Error('expected invalid UTF-8');
    for (const size of [1, 3, 7, 1000]) {
      const r = read(bytes, size);
      expect(r).toEqual({
        ok: false,
        issue: { file: 'f.yaml', line: expected.line, column: expected.column, message: expected.message },
      });
    }
  });

  it('reports a character cut off at the end of the file', () => {
    const r = read(Buffer.concat([Buffer.from('kind: x\n'), Buffer.from([0xf0, 0x9f])]), 4);
    expect(r).toMatchObject({ ok: false, issue: { line: 2, column: 1 } });
  });
});
