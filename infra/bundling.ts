// How every function is bundled. The stack hands these to NodejsFunction and
// bench/cold.ts (and test/infra/bundle.test.ts) hand the same values to
// esbuild, so what is measured and tested is exactly what Lambda loads.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/**
 * Files (or folders) a function needs beside its bundle, by function: the
 * proxy's JavaScript policy reads QuickJS's WebAssembly module (about 1 MB)
 * from `quickjs.wasm` next to index.js, and only when a JavaScript step runs;
 * the connectors read the built-in element files (about 230 KB of JSON) from
 * `elements/` when the catalog is first used (shared/connectors/catalog.ts).
 */
const QUICKJS = { from: createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-asyncify/wasm'), to: 'quickjs.wasm' };
const ELEMENTS = { from: fileURLToPath(new URL('../shared/connectors/elements', import.meta.url)), to: 'elements' };
export const BUNDLE_ASSETS: Record<string, { from: string; to: string }[]> = {
  proxy: [QUICKJS],
  // Formula script and filter steps run in the JavaScript policy's sandbox.
  formulas: [QUICKJS, ELEMENTS],
  // Transformation scripts of the unified API run in the same sandbox.
  platform: [QUICKJS, ELEMENTS],
  callback: [ELEMENTS],
  // Element hooks run around each page of a poll.
  poller: [QUICKJS, ELEMENTS],
  scheduler: [ELEMENTS],
  delivery: [ELEMENTS],
};

/**
 * Libraries a function loads only when a rarely used step first needs them:
 * OASValidation's YAML parser and Ajv, the JavaScript sandbox's QuickJS, the
 * XML policies' DOM and XPath. They stay out of index.js (Node compiles all of
 * index.js at every cold start, whether its code runs or not) and are bundled
 * each on its own as `node_modules/<name>/index.js` beside it, where the
 * bundle's `require('<name>')` finds them the first time a step asks.
 * Only packages Tollgate imports dynamically (or from a module it imports
 * dynamically) belong here: a static import would load them at cold start anyway.
 */
const XML_AND_SANDBOX = ['yaml', 'ajv', 'quickjs-emscripten', '@xmldom/xmldom', 'xpath'];
export const LAZY_PACKAGES: Record<string, string[]> = {
  proxy: XML_AND_SANDBOX,
  // And what only bundle import and export (fast-xml-parser, fflate) and formula schedules (croner) use.
  platform: [...XML_AND_SANDBOX, 'fast-xml-parser', 'fflate', 'croner'],
  formulas: ['quickjs-emscripten'],
  poller: ['quickjs-emscripten'],
};

export const BUNDLING = {
  /** CommonJS: what NodejsFunction emits as index.js; no top-level await in bundled code. */
  format: 'cjs',
  target: 'node22',
  platform: 'node',
  minify: true,
  /** Shipped beside the bundle for decoding stack traces; Node reads it only with --enable-source-maps. */
  sourceMap: true,
  /**
   * The ES module builds of the AWS SDK and Smithy tree-shake far better than
   * their CommonJS builds: bundles shrink by a third and load faster
   * (bench/cold.ts, docs/deploy.md).
   */
  mainFields: ['module', 'main'],
  /**
   * Nothing external: the AWS SDK v3 clients are bundled (pinned, tree-shaken,
   * the code the tests ran). bench/cold.ts measures bundled vs the runtime's
   * SDK; docs/deploy.md records the result.
   */
  externalModules: [] as string[],
  /** Module replacements (see infra/lambda-credentials.ts). */
  alias: {
    '@aws-sdk/credential-provider-node': fileURLToPath(new URL('./lambda-credentials.ts', import.meta.url)),
  } as Record<string, string>,
} as const;

/**
 * Source-mapped stack traces cost cold-start time (Node parses the whole map
 * when the bundle loads; bench/cold.ts measures it), so they are opt-in:
 * tollgate:sourceMapStackTraces.
 */
export const SOURCE_MAP_NODE_OPTIONS = '--enable-source-maps';

/** What a function's bundle leaves to `require` at run time: the externals and its lazy packages. */
export function externalsOf(name: string): string[] {
  return [...BUNDLING.externalModules, ...(LAZY_PACKAGES[name] ?? [])];
}

/** The same bundle as a plain esbuild build (bench/cold.ts, test/infra/bundle.test.ts). */
export function esbuildOptions(entry: string, outfile: string, name?: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: BUNDLING.platform,
    target: BUNDLING.target,
    format: BUNDLING.format,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    mainFields: [...BUNDLING.mainFields],
    external: name ? externalsOf(name) : [...BUNDLING.externalModules],
    alias: { ...BUNDLING.alias },
    logLevel: 'error',
  };
}

/** Where a lazy package's own bundle goes, relative to the folder of index.js. */
export const lazyPackageFile = (pkg: string) => `node_modules/${pkg}/index.js`;

/**
 * One lazy package bundled on its own (CommonJS, minified, everything it
 * imports inside), as esbuild command-line arguments: the stack runs them
 * after NodejsFunction's bundling, bench/cold.ts and the bundle test through
 * esbuild's API (lazyPackageOptions), so both build the same file.
 */
export function lazyPackageArgs(pkg: string, outputDir: string): string[] {
  return [
    pkg,
    '--bundle',
    `--platform=${BUNDLING.platform}`,
    `--target=${BUNDLING.target}`,
    `--format=${BUNDLING.format}`,
    '--minify',
    `--main-fields=${BUNDLING.mainFields.join(',')}`,
    '--log-level=error',
    `--outfile=${outputDir}/${lazyPackageFile(pkg)}`,
  ];
}

function lazyPackageOptions(pkg: string, outputDir: string, absWorkingDir: string): BuildOptions {
  return {
    entryPoints: [pkg],
    absWorkingDir,
    outfile: `${outputDir}/${lazyPackageFile(pkg)}`,
    bundle: true,
    platform: BUNDLING.platform,
    target: BUNDLING.target,
    format: BUNDLING.format,
    minify: true,
    mainFields: [...BUNDLING.mainFields],
    logLevel: 'error',
  };
}

/**
 * A function's whole asset as the stack builds it, through esbuild's API:
 * index.js (with its source map), its lazy packages and its files beside it.
 * bench/cold.ts and test/infra/bundle.test.ts build with this; `overrides`
 * lets the benchmark build its variants.
 */
export async function buildFunction(name: string, root: string, outputDir: string, overrides: Partial<BuildOptions> = {}) {
  const { build } = await import('esbuild');
  const { cpSync } = await import('node:fs');
  const result = await build({ ...esbuildOptions(`${root}/functions/${name}/handler.ts`, `${outputDir}/index.js`, name), ...overrides, metafile: true });
  for (const pkg of LAZY_PACKAGES[name] ?? []) await build(lazyPackageOptions(pkg, outputDir, root));
  for (const asset of BUNDLE_ASSETS[name] ?? []) cpSync(asset.from, `${outputDir}/${asset.to}`, { recursive: true });
  return { file: `${outputDir}/index.js`, metafile: result.metafile };
}
