// How every function is bundled. The stack hands these to NodejsFunction and
// bench/cold.ts (and test/infra/bundle.test.ts) hand the same values to
// esbuild, so what is measured and tested is exactly what Lambda loads.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/**
 * Files a function needs beside its bundle, by function: the proxy's
 * JavaScript policy reads QuickJS's WebAssembly module (about 1 MB) from
 * `quickjs.wasm` next to index.js, and only when a JavaScript step runs.
 */
const QUICKJS = { from: createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-asyncify/wasm'), to: 'quickjs.wasm' };
export const BUNDLE_ASSETS: Record<string, { from: string; to: string }[]> = {
  proxy: [QUICKJS],
  // Formula script and filter steps run in the JavaScript policy's sandbox.
  formulas: [QUICKJS],
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

/** The same bundle as a plain esbuild build (bench/cold.ts, test/infra/bundle.test.ts). */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
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
    external: [...BUNDLING.externalModules],
    alias: { ...BUNDLING.alias },
    logLevel: 'error',
  };
}
