// Builds the console, the developer portal and the API reference page into
// web/dist: esbuild bundles (ES modules, code-split, minified) with content
// hashes in their names, Swagger UI copied from swagger-ui-dist under a hashed
// name, a brotli and a gzip copy of every asset, and manifest.json, which the
// web function reads to name each page's scripts and styles and to serve the
// files. npm runs it on `npm ci` (prepare), `npm start` and `npm test`, so a
// fresh clone builds offline from node_modules; nothing built is committed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'web/dist');
const assets = join(out, 'assets');
/** URL prefix of every asset (served by the web function, cached for a year). */
export const ASSET_PREFIX = '/console/assets/';

const PAGES = ['console', 'portal', 'docs'] as const;

interface Manifest {
  /** Per page: its entry script, the chunks that entry imports statically (preloaded), and its styles. */
  pages: Record<string, { scripts: string[]; preload: string[]; styles: string[] }>;
  files: Record<string, { type: string; size: number; br: number; gzip: number }>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

function hashName(name: string, content: Buffer): string {
  const dot = name.lastIndexOf('.');
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 10).toUpperCase();
  return `${name.slice(0, dot)}-${hash}${name.slice(dot)}`;
}

async function main() {
  const started = Date.now();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(assets, { recursive: true });
  const result = await build({
    entryPoints: Object.fromEntries(PAGES.map((page) => [page, join(root, `web/src/${page}/main.tsx`)])),
    outdir: assets,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['chrome120', 'firefox121', 'safari17'],
    minify: true,
    sourcemap: false,
    metafile: true,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'linked',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });

  const manifest: Manifest = { pages: {}, files: {} };
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    const page = PAGES.find((name) => output.entryPoint!.endsWith(`web/src/${name}/main.tsx`));
    if (!page) continue;
    const url = (path: string) => ASSET_PREFIX + relative(assets, join(root, path));
    const preload = new Set<string>();
    const walk = (path: string) => {
      for (const imported of result.metafile.outputs[path]?.imports ?? []) {
        if (imported.kind !== 'import-statement' || preload.has(url(imported.path))) continue;
        preload.add(url(imported.path));
        walk(imported.path);
      }
    };
    walk(file);
    manifest.pages[page] = {
      scripts: [url(file)],
      preload: [...preload],
      styles: output.cssBundle ? [url(output.cssBundle)] : [],
    };
  }

  // Swagger UI renders the API reference and each connector instance's API docs; it is loaded only there.
  const swagger = join(root, 'node_modules/swagger-ui-dist');
  for (const [file, page] of [['swagger-ui-bundle.js', 'swagger'], ['swagger-ui.css', 'swagger']] as const) {
    const content = readFileSync(join(swagger, file));
    const name = hashName(file, content);
    writeFileSync(join(assets, name), content);
    const entry = (manifest.pages[page] ??= { scripts: [], preload: [], styles: [] });
    (file.endsWith('.js') ? entry.scripts : entry.styles).push(ASSET_PREFIX + name);
  }
  writeFileSync(join(assets, 'swagger-ui.LICENSE.txt'), readFileSync(join(swagger, 'LICENSE')));

  for (const name of readdirSync(assets)) {
    const path = join(assets, name);
    if (!statSync(path).isFile()) continue;
    const content = readFileSync(path);
    const type = TYPES[name.slice(name.lastIndexOf('.'))] ?? 'text/plain; charset=utf-8';
    const br = brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: content.length } });
    const gzip = gzipSync(content, { level: 9 });
    writeFileSync(`${path}.br`, br);
    writeFileSync(`${path}.gz`, gzip);
    manifest.files[ASSET_PREFIX + name] = { type, size: content.length, br: br.length, gzip: gzip.length };
  }
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const first = manifest.pages.console!;
  const firstLoad = [...first.scripts, ...first.preload, ...first.styles].reduce((sum, url) => sum + manifest.files[url]!.br, 0);
  if (!process.env.CI || process.env.WEB_BUILD_VERBOSE) {
    process.stdout.write(`web: built ${Object.keys(manifest.files).length} assets in ${Date.now() - started} ms; console entry ${Math.round(firstLoad / 1024)} KB (brotli)\n`);
  }
}

if (!existsSync(join(root, 'node_modules/esbuild'))) throw new Error('web/build.ts needs the dev dependencies: npm ci');
await main();
