/**
 * The repository's layers (README "What is where"), as data the dependency check enforces:
 * spec → generated → runtime → {relay, web, cli, notifier}; soak, test-kit and bench on top.
 * A package imports another only by its name (`@parley/<name>`, its package.json exports), and
 * only the names listed here; a relative import never reaches into another package's folders.
 */

/** Where in a package a file is: its tests (`test/`) may use more than its code. */
export type Scope = 'code' | 'test';

export interface PackageRule {
  /** `@parley/...` specifiers (a name, or a name and subpath) the package's code may import. */
  code: readonly string[];
  /** Extra specifiers its tests may import: a real relay, a real notifier, test-kit. */
  test?: readonly string[];
  /** Files under these folders (relative to the package) may also import the listed names. */
  folders?: Readonly<Record<string, readonly string[]>>;
}

const RUNTIME = ['@parley/runtime', '@parley/generated'];
const TEST_PEERS = ['@parley/relay', '@parley/notifier', '@parley/test-kit'];

export const PACKAGE_RULES: Readonly<Record<string, PackageRule>> = {
  // The protocol and its generator import nothing of ours; the conformance runner's TypeScript
  // adapter is an implementation under test, and that implementation is the runtime.
  spec: { code: [], test: ['@parley/generated'], folders: { conformance: RUNTIME } },
  generated: { code: [] },
  // runtime/scripts computes generated/vectors/frames.json from the spec.
  runtime: { code: ['@parley/generated'], test: TEST_PEERS, folders: { scripts: ['@parley/spec'] } },
  relay: { code: RUNTIME, test: ['@parley/test-kit'] },
  notifier: { code: RUNTIME, test: TEST_PEERS },
  cli: { code: RUNTIME, test: TEST_PEERS },
  // The web app registers with the notifier through the notifier's client module only.
  web: { code: [...RUNTIME, '@parley/notifier/client'], test: TEST_PEERS, folders: { bench: ['@parley/relay'] } },
  android: { code: ['@parley/generated'], test: ['@parley/test-kit'] },
  // The soak runs the relay's own command in child processes.
  soak: { code: [...RUNTIME, '@parley/relay'], test: TEST_PEERS },
  'test-kit': { code: [...RUNTIME, '@parley/relay', '@parley/notifier'], test: TEST_PEERS },
  // `npm run bench` collects every package's benchmarks (their bench/ folders, below); the files
  // bench drives engines and measures memory as the bounded-memory tests do (test-kit/src/files,
  // test-kit/src/memory).
  bench: { code: [...RUNTIME, '@parley/spec', '@parley/test-kit/files', '@parley/test-kit/memory'] },
};

/**
 * Relative imports that leave their package, allowed only between benchmarks: bench/run.ts
 * loads each package's bench/ entry, and package benchmarks print with bench/table.ts.
 * Each pair: [importing file's prefix, imported file's prefix], repository-relative.
 */
export const CROSSING_ALLOWED: readonly (readonly [string, string])[] = [
  ['bench/', 'runtime/bench/'],
  ['bench/', 'relay/bench/'],
  ['bench/', 'web/bench/'],
  ['bench/', 'soak/bench.ts'],
  ['relay/bench/', 'bench/table.ts'],
  ['web/bench/', 'bench/table.ts'],
];

/**
 * Inside web/src, folders are named for where their code runs (web/README.md). Each folder
 * lists the web/src folders it may import; `ui` is everything else in web/src (the page).
 */
export const WEB_FOLDERS: Readonly<Record<string, readonly string[]>> = {
  worker: ['worker', 'messages', 'shared'],
  'service-worker': ['service-worker', 'messages'],
  messages: ['messages', 'shared'],
  shared: ['shared'],
  'ui-thread': ['ui-thread', 'messages', 'shared', 'ui'],
  ui: ['ui', 'ui-thread', 'messages', 'shared'],
};

/** The only package whose tsconfig may name the DOM library: its code runs in a browser. */
export const DOM_PACKAGES: readonly string[] = ['web'];

/**
 * Longest source file outside generated/ (STYLE: small modules with one job). Golden fixtures
 * (`test/fixtures/`) are output the tests compare, not modules, and are not counted.
 */
export const MAX_SOURCE_LINES = 500;
export const LINE_LIMIT_EXEMPT: readonly string[] = ['generated/', '/test/fixtures/'];
