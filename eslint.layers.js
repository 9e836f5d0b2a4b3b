// The layers of the source tree: which module may import which. A module is
// a folder (or one of the few files directly under shared/); everything not
// listed as allowed is forbidden, so an upward import, a new cross-module
// import or a cycle between two modules fails `npm test` (eslint's
// no-restricted-imports, one rule per module, generated below). docs/architecture.md
// explains the layers; test/unit/layers.test.ts shows the rule catching one.
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Module -> the modules it may import (its own files always). Bottom of the tree first. */
export const LAYERS = {
  // Foundations: no Tollgate imports at all, or only each other.
  'shared/config': [],
  'shared/log': [],
  'shared/cache': [],
  'shared/crypto': [],
  'shared/net': ['shared/cache'],
  'shared/http': ['shared/log', 'shared/net'],
  'shared/store': ['shared/http'],
  'shared/secrets': ['shared/cache'],
  // The per-container wiring every domain module receives.
  'shared/runtime': ['shared/config', 'shared/crypto', 'shared/net', 'shared/secrets', 'shared/store'],
  // Platform identity (organizations, platform secrets); rewritten on its own, kept below the domains.
  'shared/auth': ['shared/config', 'shared/log', 'shared/cache', 'shared/crypto', 'shared/http', 'shared/store', 'shared/secrets', 'shared/runtime'],
  // Why a credential was refused, and revoked tokens and clients: shared by consumers, the token service and policies.
  'shared/credentials': ['shared/config', 'shared/log', 'shared/store', 'shared/runtime'],
  // The proxy gateway: language < engine < policies < stores < host.
  'shared/gateway/language': [],
  'shared/gateway/engine': ['shared/gateway/language', 'shared/http', 'shared/net', 'shared/log'],
  'shared/gateway/policies': ['shared/gateway/engine', 'shared/gateway/language', 'shared/cache', 'shared/credentials', 'shared/http'],
  'shared/gateway/stores': [
    'shared/gateway/engine',
    'shared/gateway/policies',
    'shared/auth',
    'shared/cache',
    'shared/http',
    'shared/log',
    'shared/net',
    'shared/runtime',
    'shared/store',
  ],
  // Analytics records, rollups and the stats query; trace sessions and their data; connector usage.
  'shared/analytics': ['shared/cache', 'shared/config', 'shared/http', 'shared/log', 'shared/runtime', 'shared/store'],
  // Domains of the platform plane.
  'shared/consumers': ['shared/auth', 'shared/cache', 'shared/config', 'shared/credentials', 'shared/crypto', 'shared/http', 'shared/runtime', 'shared/store'],
  'shared/oauth': ['shared/consumers', 'shared/credentials', 'shared/auth', 'shared/cache', 'shared/config', 'shared/crypto', 'shared/http', 'shared/log', 'shared/runtime', 'shared/store'],
  'shared/connectors': ['shared/analytics', 'shared/auth', 'shared/cache', 'shared/config', 'shared/crypto', 'shared/gateway/language', 'shared/gateway/policies', 'shared/http', 'shared/log', 'shared/net', 'shared/runtime', 'shared/store'],
  // Formulas: workflows over connector instances; the JavaScript policy's sandbox runs their script steps.
  'shared/formulas': ['shared/auth', 'shared/cache', 'shared/connectors', 'shared/gateway/policies', 'shared/http', 'shared/log', 'shared/runtime', 'shared/store'],
  // The proxy function's host wires the gateway to the domains it serves policies from.
  'shared/gateway/host': [
    'shared/analytics',
    'shared/gateway/engine',
    'shared/gateway/language',
    'shared/net',
    'shared/log',
    'shared/gateway/policies',
    'shared/gateway/stores',
    'shared/consumers',
    'shared/credentials',
    'shared/oauth',
    'shared/http',
    'shared/runtime',
    'shared/store',
  ],
  // Apigee bundle import and export: above the gateway, never below it (the runtime does not load it).
  'shared/bundles': ['shared/gateway/engine', 'shared/gateway/policies', 'shared/gateway/stores', 'shared/http', 'shared/log', 'shared/runtime'],
  // The management API's route modules.
  'shared/management': [
    'shared/analytics',
    'shared/auth',
    'shared/bundles',
    'shared/gateway/engine',
    'shared/gateway/language',
    'shared/gateway/stores',
    'shared/http',
    'shared/runtime',
    'shared/store',
  ],
  // The developer portal's accounts and routes: developers, their apps and the catalog.
  'shared/portal': ['shared/auth', 'shared/consumers', 'shared/crypto', 'shared/gateway/stores', 'shared/http', 'shared/runtime', 'shared/store'],
  // The console, portal and reference pages: HTML shells and the built assets, nothing else.
  'shared/web': ['shared/http'],
  // The platform plane's router: the top of shared/.
  'shared/platform': [
    'shared/analytics',
    'shared/auth',
    'shared/connectors',
    'shared/consumers',
    'shared/credentials',
    'shared/formulas',
    'shared/management',
    'shared/oauth',
    'shared/portal',
    'shared/http',
    'shared/runtime',
    'shared/store',
  ],
  // Lambda entries: one thin handler per function.
  functions: ['shared/platform', 'shared/gateway/host', 'shared/gateway/engine', 'shared/connectors', 'shared/formulas', 'shared/oauth', 'shared/web', 'shared/http', 'shared/log', 'shared/runtime'],
  // The CDK app: constructs and the shared tables it deploys from, no business logic.
  // The formulas state machine's definition is the same module the step function answers to.
  infra: ['shared/http', 'shared/store', 'shared/auth', 'shared/config', 'shared/formulas'],
  // The local runtime runs the functions as they are, and in place of EventBridge Scheduler and SQS works the connector events' queue
  // in the table; it resumes formula executions and starts their scheduled runs.
  local: ['functions', 'shared/auth', 'shared/config', 'shared/connectors', 'shared/formulas', 'shared/http', 'shared/log', 'shared/net', 'shared/runtime', 'shared/secrets', 'shared/store'],
};

/** Every module, longest first, so a file belongs to `shared/gateway/engine` rather than a shorter one. */
const MODULES = Object.keys(LAYERS).sort((a, b) => b.length - a.length);
/** The modules that are one file directly under shared/, imported as `.../runtime.js`. */
const FILE_MODULES = new Set(['shared/config', 'shared/log', 'shared/runtime']);
/** What no source module may import whatever the table says. */
const NEVER = ['test', 'bench', 'scripts'];
const SOURCE_ROOTS = ['shared', 'functions', 'infra', 'local'];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Folders that hold TypeScript sources, relative to the repository. */
function sourceFolders(root, dir) {
  const entries = readdirSync(join(root, dir), { withFileTypes: true });
  const here = entries.some((entry) => entry.isFile() && entry.name.endsWith('.ts')) ? [dir] : [];
  return [...here, ...entries.filter((entry) => entry.isDirectory()).flatMap((entry) => sourceFolders(root, `${dir}/${entry.name}`))];
}

/** The module a folder's files belong to. */
function moduleOf(folder) {
  const module = MODULES.find((name) => !FILE_MODULES.has(name) && (folder === name || folder.startsWith(`${name}/`)));
  if (!module) throw new Error(`${folder} holds sources but is no module of eslint.layers.js: add it to LAYERS`);
  return module;
}

/** How an import of `target` written in `folder` starts: `../stores/`, `../../runtime.js`. */
function importPattern(folder, target) {
  const path = relative(folder, target);
  const prefix = escape(path.startsWith('.') ? path : `./${path}`);
  return FILE_MODULES.has(target) ? `^${prefix}(\\.js)?$` : `^${prefix}/`;
}

function restrict(files, folder, module) {
  const allowed = new Set([module, ...LAYERS[module]]);
  const forbidden = [...MODULES.filter((other) => !allowed.has(other)), ...NEVER];
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((other) => ({
            regex: importPattern(folder, other),
            message: `${module} may not import ${other} (the layers are in eslint.layers.js and docs/architecture.md)`,
          })),
        },
      ],
    },
  };
}

/** One eslint config object per source folder (and per file module): no-restricted-imports of every module it may not use. */
export function layerRules(root = dirname(fileURLToPath(import.meta.url))) {
  return SOURCE_ROOTS.flatMap((sourceRoot) => sourceFolders(root, sourceRoot)).flatMap((folder) => {
    if (folder === 'shared') {
      const files = readdirSync(join(root, folder)).filter((name) => name.endsWith('.ts'));
      return files.map((name) => {
        const module = `shared/${name.slice(0, -3)}`;
        if (!FILE_MODULES.has(module)) throw new Error(`shared/${name} is no module of eslint.layers.js: add it to LAYERS`);
        return restrict([`shared/${name}`], folder, module);
      });
    }
    return [restrict([`${folder}/*.ts`], folder, moduleOf(folder))];
  });
}
