import { describe, expect, it } from 'vitest';
import { createCelEngine, toCelValue } from './engine.js';
import { relaxNullBranches } from './rewrite.js';
import { evaluateExpression } from './testing.js';

const engine = createCelEngine();
const object = toCelValue({
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    replicas: 3,
    containers: [{ name: 'a', image: 'nginx:1.27', resources: { limits: { memory: '512Mi', cpu: '250m' } } }],
  },
});

function evaluate(expr: string): unknown {
  return evaluateExpression(engine, expr, object);
}

describe('Kubernetes CEL libraries', () => {
  it.each<[string, unknown]>([
    // standard + JSON integers are int
    ['object.spec.replicas + 1', 4n],
    ['object.spec.replicas == 3', true],
    ['object.metadata.labels.all(k, k.size() > 2)', true],
    ["object.metadata.labels.exists(k, object.metadata.labels[k] == 'front')", true],
    // optionals
    ["object.spec.?strategy.?type.orValue('RollingUpdate')", 'RollingUpdate'],
    ['object.metadata.?annotations.hasValue()', false],
    ["optional.of('x').value()", 'x'],
    // regex
    ["'img:v1.2.3'.find('[0-9]+[.][0-9]+')", '1.2'],
    ["'a1 b22 c333'.findAll('[0-9]+')", ['1', '22', '333']],
    ["'a1 b22 c333'.findAll('[0-9]+', 2)", ['1', '22']],
    ["object.spec.containers[0].image.matches('^nginx:')", true],
    // lists
    ['[1, 2, 3].isSorted()', true],
    ["['b', 'a'].isSorted()", false],
    ['[1, 2, 3].sum()', 6n],
    ['[3, 1, 2].min()', 1n],
    ["['b', 'c', 'a'].max()", 'c'],
    ["['a', 'b', 'a'].indexOf('a')", 0n],
    ["['a', 'b', 'a'].lastIndexOf('a')", 2n],
    // strings extensions
    ["'hello'.charAt(1)", 'e'],
    ["'a-b-c'.replace('-', '+')", 'a+b+c'],
    ["'a-b-c'.replace('-', '+', 1)", 'a+b-c'],
    ['strings.quote(\'say "hi"\\n\')', '"say \\"hi\\"\\n"'],
    ["'  x '.trim()", 'x'],
    ["'A,B'.lowerAscii().split(',')", ['a', 'b']],
    ["['x', 'y'].join('-')", 'x-y'],
    ["'%s has %d replicas'.format([object.metadata.name, object.spec.replicas])", 'web has 3 replicas'],
    ["'%.2f'.format([1.005])", '1.00'],
    // URLs
    ["url('https://example.com:8443/a/b?x=1&x=2').getScheme()", 'https'],
    ["url('https://example.com:8443/a/b?x=1&x=2').getHostname()", 'example.com'],
    ["url('https://example.com:8443/a/b?x=1&x=2').getPort()", '8443'],
    ["url('https://example.com:8443/a/b?x=1&x=2').getEscapedPath()", '/a/b'],
    ["url('https://example.com:8443/a/b?x=1&x=2').getQuery()['x']", ['1', '2']],
    ["isURL('not a url')", false],
    // quantities
    ["quantity(object.spec.containers[0].resources.limits.memory).compareTo(quantity('1Gi'))", -1n],
    ["quantity('1Gi').isGreaterThan(quantity('1G'))", true],
    ["quantity('250m').isInteger()", false],
    ["quantity('2k').asInteger()", 2000n],
    ["quantity('1.5').asApproximateFloat()", 1.5],
    ["quantity('1Gi').add(quantity('512Mi')).compareTo(quantity('1536Mi'))", 0n],
    ["sign(quantity('1').sub(1))", 0n],
    ["sign(quantity('-2Gi'))", -1n],
    // format and string() as the API server writes them
    ["'%.1f|%.0f|%.2f'.format([2.25, 0.5, 2.675])", '2.2|0|2.67'],
    ["'%f'.format([1234567.5])", '1,234,567.500000'],
    ["'%e|%.2e'.format([1234.5, 0.00015])", '1.234500×10⁰³|1.500000×10⁻⁰⁴'],
    ["'%s'.format([[1.5, 'q', null, duration('2s')]])", '[1.500000, "q", null, duration("2s")]'],
    ["'%s'.format([{'b': 1, 'a': ['x']}])", '{"a":["x"], "b":1}'],
    [
      "string(duration('-1.5s')) + ' ' + string(duration('1ms')) + ' ' + string(duration('1h30m'))",
      '-1.5s 0.001s 5400s',
    ],
    ["string(timestamp('2024-01-01T10:00:00.5+02:00'))", '2024-01-01T08:00:00.5Z'],
    ["optional.ofNonZeroValue('').orValue('empty') + optional.ofNonZeroValue('x').orValue('')", 'emptyx'],
    ['optional.ofNonZeroValue([]).hasValue() || optional.ofNonZeroValue(0).hasValue()', false],
    ["isQuantity('12 apples')", false],
    // IP and CIDR
    ["ip('10.1.2.3').family()", 4n],
    ["ip('::1').isLoopback()", true],
    ["ip('169.254.1.1').isLinkLocalUnicast()", true],
    ["ip('8.8.8.8').isGlobalUnicast()", true],
    ["string(ip('2001:db8:0:0:0:0:0:1'))", '2001:db8::1'],
    ["cidr('10.0.0.0/8').containsIP('10.200.0.1')", true],
    ["cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", true],
    ["cidr('10.0.0.0/16').containsCIDR('10.0.0.0/8')", false],
    ["string(cidr('192.168.1.77/24').masked())", '192.168.1.0/24'],
    ["cidr('192.168.0.0/24').prefixLength()", 24n],
    ["isIP('010.0.0.1')", false],
    ["isCIDR('10.0.0.0/33')", false],
    ["ip('10.0.0.1') == ip('10.0.0.1')", true],
    // type()
    ['type(object.spec.replicas) == int', true],
    ["type('a') == string", true],
    // two-variable comprehensions
    ["object.spec.containers.all(i, c, i >= 0 && c.name != '')", true],
    ["['a', 'bb'].exists(i, v, i == 1 && v == 'bb')", true],
    ["['a', 'bb'].all(i, v, size(v) > i + 1)", false],
    ['object.metadata.labels.all(k, v, k.size() > 2 && v.size() > 2)', true],
    ["object.metadata.labels.exists_one(k, v, v == 'web')", true],
    ["object.metadata.labels.exists(k, v, k == 'tier' && v == 'back')", false],
    ["[1, 2].all(i, v, v > i) && [3].exists(j, w, w == 3) && 'rest' == 'rest'", true],
    ['[[1, 2], [3]].all(i, a, a.all(j, b, b > i + j))', true],
    ['[7].existsOne(i, v, i == 0 && v == 7) && ![7, 7].existsOne(i, v, v == 7)', true],
    ['[2, 4, 6].transformList(i, v, v / 2 + i)', [1n, 3n, 5n]],
    ['[2, 4, 6].transformList(i, v, i != 1, v * 10)', [20n, 60n]],
    ["object.metadata.labels.transformList(k, v, k + '=' + v)", ['app=web', 'tier=front']],
    ["object.metadata.labels.transformMap(k, v, v + '!')", { app: 'web!', tier: 'front!' }],
    ["object.metadata.labels.transformMap(k, v, k != 'app', v.size())", { tier: 5n }],
    ["['a', 'b'].transformMap(i, v, v + string(i))", { '0': 'a0', '1': 'b1' }],
    ['object.metadata.labels.transformMapEntry(k, v, {v: k})', { web: 'app', front: 'tier' }],
    ["object.metadata.labels.transformMapEntry(k, v, k == 'app', {k + '-x': v})", { 'app-x': 'web' }],
    // sets
    ['sets.contains([1, 2, 3], [3, 1])', true],
    ['sets.contains([1, 2], [])', true],
    ['sets.contains([1, 2], [4])', false],
    ['sets.contains([1, 2.0], [2, 1.0])', true],
    ["sets.equivalent(['a', 'b', 'a'], ['b', 'a'])", true],
    ['sets.equivalent([1], [1, 2])', false],
    ['sets.intersects([1, 2], [2, 5])', true],
    ['sets.intersects([], [1])', false],
    // lists extension
    ['[1, 2, 3, 4].slice(1, 3)', [2n, 3n]],
    ['[1, [2, [3]]].flatten()', [1n, 2n, [3n]]],
    ['[1, [2, [3]]].flatten(2)', [1n, 2n, 3n]],
    ['[1, 2, 1.0, 3].distinct()', [1n, 2n, 3n]],
    ["['b', 'a'].reverse()", ['a', 'b']],
    ["['b', 'c', 'a'].sort()", ['a', 'b', 'c']],
    ["['bb', 'a', 'ccc'].sortBy(s, s.size())", ['a', 'bb', 'ccc']],
    ['lists.range(3)', [0n, 1n, 2n]],
    // semver
    ["isSemver('1.2.3-rc.1+build.5')", true],
    ["isSemver('v1.2.3')", false],
    ["isSemver('1.2')", false],
    ["isSemver('01.2.3')", false],
    ["isSemver('1.2.3-01')", false],
    ["isSemver('v1.0', true)", true],
    ["semver('01.01.01', true).compareTo(semver('1.1.1'))", 0n],
    ["semver('1.0', true).patch()", 0n],
    ["semver('1.2.3').major() + semver('1.2.3').minor() + semver('1.2.3').patch()", 6n],
    ["semver('1.2.3').isLessThan(semver('1.10.0'))", true],
    ["semver('1.0.0-alpha').isLessThan(semver('1.0.0'))", true],
    ["semver('1.0.0-alpha.2').isLessThan(semver('1.0.0-alpha.10'))", true],
    ["semver('1.0.0+a').compareTo(semver('1.0.0+b'))", 0n],
    ["semver('2.0.0').isGreaterThan(semver('1.99.99'))", true],
    ["semver('v01.01', true) == semver('1.1.0')", true],
    ["semver('1.2.3') != semver('1.0.0')", true],
    ["isSemver(' 1.0.0', true) || isSemver('1. 0.0', true) || isSemver('', true)", false],
    ["isSemver('1', true)", true],
    // jsonpatch
    ["jsonpatch.escapeKey('a/b~c')", 'a~1b~0c'],
    // null next to a typed branch, as cel-go allows
    ["object.spec.replicas > 5 ? 'many' : null", null],
  ])('%s', (expr, want) => {
    expect(evaluate(expr)).toEqual(want);
  });

  it.each<[string, string]>([
    ["quantity('x')", 'quantities must match'],
    ["ip('1.2.3')", 'parse error'],
    ["ip('::ffff:1.2.3.4')", 'IPv4-mapped'],
    ["url('::')", 'URL parse error'],
    ["'abc'.charAt(9)", 'index out of range'],
    ["authorizer.path('/healthz').check('get').allowed()", 'not available offline'],
    ["semver('1.2')", 'invalid semantic version "1.2"'],
    ['[1, 2].slice(2, 1)', 'start index must be less than or equal to end index'],
    ['[1, 2].slice(0, 3)', 'list is length 2'],
    ['[1].flatten(-1)', 'level must be non-negative'],
    ["[1, 'a'].sort()", 'list elements must have the same type'],
    ['lists.range(-1)', 'size must be non-negative'],
    ["quantity('1').sign()", 'sign'],
    // Kubernetes enables strings extension version 2, which has no reverse().
    ["'abc'.reverse()", 'reverse'],
    ["semver('1.0-rc', true)", 'short version cannot contain PreRelease/Build meta data'],
    ["{'a': 1, 'b': 1}.transformMapEntry(k, v, {'x': v})", 'key x already exists'],
  ])('%s is an evaluation error', (expr, message) => {
    expect(() => evaluate(expr)).toThrow(message);
  });

  it.each<[string, boolean]>([
    ['cel.bind(x, 2, x * x) == 4', false],
    ['[1, 2].all(i, v, v > i)', true],
    ["'cel.bind(x, 1, x)' == object.metadata.name", true],
    ['"""cel.bind(""" != ""', true],
  ])('%s compiles: %s (the API server enables no bindings extension)', (expr, ok) => {
    expect(engine.compile(expr).ok).toBe(ok);
  });
});

describe('relaxNullBranches', () => {
  it.each<[string, string]>([
    ["a ? 'x' : null", "a ? 'x' : dyn(null)"],
    ["a ? null : 'x'", "a ? dyn(null) : 'x'"],
    ["{'k': null}", "{'k': dyn(null)}"],
    ["'? null : in a string'", "'? null : in a string'"],
    ['x == null', 'x == null'],
    ['a ? nullable : b', 'a ? nullable : b'],
  ])('%s', (input, want) => {
    expect(relaxNullBranches(input)).toBe(want);
  });
});

describe('toCelValue', () => {
  it.each<[string, string, string]>([
    ['whole numbers become int', '{"a":1,"b":[2,{"c":3}]}', '{"a":"1n","b":["2n",{"c":"3n"}]}'],
    ['other numbers stay double', '{"a":1.5,"b":-0.25}', '{"a":1.5,"b":-0.25}'],
    ['a JSON __proto__ key stays a field', '{"m":{"__proto__":{"x":1}}}', '{"m":{"__proto__":{"x":"1n"}}}'],
    [
      'strings, booleans and null are kept',
      '{"s":"x","t":true,"n":null,"l":[]}',
      '{"s":"x","t":true,"n":null,"l":[]}',
    ],
  ])('%s', (_name, json, expected) => {
    const shown = JSON.stringify(toCelValue(JSON.parse(json)), (_k, v: unknown) =>
      typeof v === 'bigint' ? `${v}n` : v,
    );
    expect(shown).toBe(expected);
  });

  it('shares subtrees without a whole number and leaves its input unchanged', () => {
    const input = JSON.parse('{"meta":{"name":"a","labels":{"x":"y"}},"spec":{"replicas":2}}') as {
      meta: unknown;
      spec: { replicas: unknown };
    };
    const out = toCelValue(input) as typeof input;
    expect(out.meta).toBe(input.meta);
    expect(out.spec).not.toBe(input.spec);
    expect(out.spec.replicas).toBe(2n);
    expect(input.spec.replicas).toBe(2);
  });

  it('a JSON __proto__ key never becomes a prototype', () => {
    const out = toCelValue(JSON.parse('{"m":{"__proto__":{"polluted":true},"n":1}}')) as { m: object };
    expect(Object.getPrototypeOf(out.m)).toBe(Object.prototype);
    expect((out.m as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('runtime cost of what an expression builds', () => {
  const big = toCelValue({ data: { blob: 'x'.repeat(2_400_000) } });
  const run = (expr: string, limit?: number): { ok: boolean; code?: string; spent: number } => {
    const compiled = engine.compile(expr);
    if (!compiled.ok) throw new Error(compiled.error);
    const budget = { remaining: 10_000_000 };
    const r = compiled.value.evaluate({ object: big }, budget, limit);
    return r.ok
      ? { ok: true, spent: 10_000_000 - budget.remaining }
      : { ok: false, code: r.error.code, spent: 10_000_000 - budget.remaining };
  };

  it('stops a comprehension that concatenates a large string at the limit', () => {
    // 1,000 steps of 4.8 MB strings: a few hundred thousand steps' worth of charges each.
    const r = run(
      '[' +
        Array.from({ length: 1000 }, (_, i) => i).join(',') +
        '].all(i, (object.data.blob + object.data.blob).size() > 0)',
    );
    expect(r).toMatchObject({ ok: false, code: 'cost_exceeded' });
  });

  it.each<[string, number]>([
    ["object.data.blob + 'a'", 240_000],
    ["[object.data.blob, 'b'].join('')", 240_000],
    ['object.data.blob.size() > 0', 0],
    // Reading an optional field builds nothing: its size is not charged.
    ["object.?data.?blob.orValue('').size() > 0", 0],
  ])('charges %s for the size of what it builds (at least %d)', (expr, atLeast) => {
    const r = run(expr);
    expect(r.ok).toBe(true);
    expect(r.spent).toBeGreaterThanOrEqual(atLeast);
    if (atLeast === 0) expect(r.spent).toBeLessThan(100);
  });

  it('keeps small strings nearly free', () => {
    const r = run("'ab' + 'cd' == 'abcd'");
    expect(r).toMatchObject({ ok: true });
    expect(r.spent).toBeLessThan(10);
  });
});
