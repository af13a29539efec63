/**
 * The data a CIS control-plane check is declared with, in the shape of kube-bench's cfg
 * (`tests.test_items`, `bin_op`, `compare.op`, `set`, `env`, `path`), so that each declaration
 * can be compared item by item with the benchmark's own definition. What differs from
 * kube-bench is the audit: Palisade never runs shell commands; an audit names the facts an
 * adapter read (a component's flags, its config file, its environment, file modes and owners).
 */

/** The comparison operators of kube-bench; anything else never matches. */
export type CompareOp =
  'eq' | 'noteq' | 'gt' | 'gte' | 'lt' | 'lte' | 'has' | 'nothave' | 'regex' | 'valid_elements' | 'bitmask';

/** Every comparison operator. */
export const COMPARE_OPS: readonly CompareOp[] = [
  'eq',
  'noteq',
  'gt',
  'gte',
  'lt',
  'lte',
  'has',
  'nothave',
  'regex',
  'valid_elements',
  'bitmask',
];

/** One test item. `set` defaults to true, as in kube-bench. */
export interface TestItem {
  /** Name searched in the audit output (a `--flag`, or a word such as `permissions`). */
  flag?: string;
  /** JSONPath into the component's config file, tried when the flag is absent. */
  path?: string;
  /** Environment variable tried when neither flag nor path is found. */
  env?: string;
  set?: boolean;
  /** `op` is a string so that unknown operators (which fail) can be represented. */
  compare?: { op: string; value: string };
}

/** The test items of a check and how their results combine (default `and`). */
export interface Tests {
  binOp?: 'and' | 'or';
  items: readonly TestItem[];
}

/** The Kubernetes components a node may run that the benchmark looks at. */
export type ComponentName = 'apiserver' | 'controllermanager' | 'scheduler' | 'etcd' | 'kubelet' | 'proxy';

/** Every component. */
export const COMPONENTS: readonly ComponentName[] = [
  'apiserver',
  'controllermanager',
  'scheduler',
  'etcd',
  'kubelet',
  'proxy',
];

/**
 * Files whose mode and owner the benchmark inspects. Each name is resolved by the adapter to
 * zero or more paths (e.g. the etcd data directory from `--data-dir`, the PKI directory tree).
 */
export type FileSetName =
  | 'apiserver-manifest'
  | 'controllermanager-manifest'
  | 'scheduler-manifest'
  | 'etcd-manifest'
  | 'cni-files'
  | 'etcd-data-dir'
  | 'admin-kubeconfigs'
  | 'scheduler-kubeconfig'
  | 'controllermanager-kubeconfig'
  | 'pki-tree'
  | 'pki-certificates'
  | 'pki-keys'
  | 'kubelet-service'
  | 'proxy-kubeconfig'
  | 'kubelet-kubeconfig'
  | 'kubelet-client-ca'
  | 'kubelet-config';

/**
 * How one file's stat is written as an audit line, mirroring the `stat -c` formats the
 * benchmark uses: `permissions=600`, `root:root`, `permissions=600 /path`, `ownership=root:root /path`.
 */
export type StatLine = 'permissions' | 'owner' | 'permissions-named' | 'ownership-named';

/** Where a check's audit output comes from. */
export type Audit =
  /** A component's command line; `config` adds its config file as the fallback for `path` items. */
  | { kind: 'flags'; component: ComponentName; config?: boolean }
  /** One line per existing file of the set; `whenMissing` is the line written when none exists. */
  | { kind: 'files'; files: FileSetName; line: StatLine; whenMissing?: string }
  /** `provider=<first provider of every resource>` from the API server's encryption config. */
  | { kind: 'encryption-providers' };

/** The benchmark sections (kube-bench's control file types). */
export type BenchmarkSection = 'master' | 'etcd' | 'controlplane' | 'node' | 'policies';

/** A check as Palisade declares it. */
export interface CisCheck {
  /** Benchmark id, e.g. `1.2.1`. */
  id: string;
  /** Benchmark section the check belongs to. */
  section: BenchmarkSection;
  /** Group id and title, e.g. `1.2` `API Server`. */
  group: { id: string; title: string };
  /** Recommendation title, with its `(Automated)` or `(Manual)` assessment status. */
  text: string;
  /** `manual` checks are not evaluated (warn); `skip` checks are reported as skipped. */
  type?: 'manual' | 'skip';
  /** kube-bench's scored flag: a failing unscored check is a warning, not a failure. */
  scored: boolean;
  /** Absent for manual checks. */
  audit?: Audit;
  /** Evaluate each audit line on its own; every line must pass (kube-bench `use_multiple_values`). */
  multipleValues?: boolean;
  tests?: Tests;
  remediation: string;
}

/** A benchmark: a name (`cis-1.10`) and its checks in benchmark order. */
export interface Benchmark {
  id: string;
  title: string;
  checks: readonly CisCheck[];
}

/** Outcome of one check: kube-bench's PASS/FAIL/WARN/INFO plus `error` and `skip`. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'error' | 'skip';
