// How every function is bundled. The stack hands these to NodejsFunction and
// bench/cold.ts hands the same values to esbuild, so the benchmark measures
// exactly what Lambda loads.

export const BUNDLING = {
  /** CommonJS: what NodejsFunction emits as index.js; no top-level await in bundled code. */
  format: 'cjs',
  target: 'node22',
  platform: 'node',
  minify: true,
  sourceMap: true,
  /**
   * Nothing external: the AWS SDK v3 clients are bundled (pinned, tree-shaken,
   * the code the tests ran). bench/cold.ts measures bundled vs the runtime's
   * SDK; docs/deploy.md records the result.
   */
  externalModules: [] as string[],
} as const;

/**
 * Source-mapped stack traces in the logs. Node reads a bundle's source map
 * only when a stack trace is formatted, so the cold start does not pay for it
 * (bench/cold.ts measures both).
 */
export const NODE_OPTIONS = '--enable-source-maps';
