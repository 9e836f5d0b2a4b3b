// The console, the developer portal and the API reference page: HTML shells
// made per request (each with a fresh CSP nonce for the styles CodeMirror
// inserts) and the hashed, precompressed assets web/build.ts writes. Scripts
// come only from this origin (`script-src 'self'`, no inline script at all);
// nothing is loaded from another origin.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HttpError, notFound } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { redirect, type HttpResponse } from '../http/response.js';
import { Router } from '../http/router.js';

export const ASSET_PREFIX = '/console/assets/';

interface Manifest {
  pages: Record<string, { scripts: string[]; preload: string[]; styles: string[] }>;
  files: Record<string, { type: string; size: number; br: number; gzip: number }>;
}

export interface SiteOptions {
  /** web/dist, as built by web/build.ts. */
  directory: string;
  /** Organization the sign-in forms start with. */
  organization: string;
  /** Other origins pages may call (the proxy runtime's, for the portal's "try it"). */
  connectOrigins?: string[];
  /** Where each environment's proxies are served, when not on this origin. */
  runtimeUrls?: Record<string, string>;
}

const PAGES = {
  console: { title: 'Tollgate console' },
  portal: { title: 'API portal' },
  docs: { title: 'Tollgate platform API reference' },
} as const;

type Page = keyof typeof PAGES;

/**
 * The site's settings: TOLLGATE_WEB_DIR, TOLLGATE_ORG, and the runtime's URLs
 * (TOLLGATE_RUNTIME_URLS, or those given), whose origins the pages may call
 * (the portal's "Try an API"), as may TOLLGATE_WEB_CONNECT_ORIGINS.
 */
export function siteOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, runtime?: Record<string, string>): SiteOptions {
  const urls = runtime ?? (env.TOLLGATE_RUNTIME_URLS ? runtimeUrls(env.TOLLGATE_RUNTIME_URLS) : {});
  const origins = [...(env.TOLLGATE_WEB_CONNECT_ORIGINS ?? '').split(','), ...Object.values(urls).map((url) => URL.parse(url)?.origin ?? '')]
    .map((origin) => origin.trim())
    .filter((origin) => /^https?:\/\/[^/\s;,']+$/.test(origin));
  return {
    directory: resolve(env.TOLLGATE_WEB_DIR || 'web/dist'),
    organization: env.TOLLGATE_ORG || 'default',
    connectOrigins: [...new Set(origins)],
    ...(Object.keys(urls).length ? { runtimeUrls: urls } : {}),
  };
}

/** `prod=https://api.example.com,test=https://test.example.com` */
function runtimeUrls(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .map((pair) => pair.split('=').map((part) => part.trim()))
      .filter((pair): pair is [string, string] => pair.length === 2 && /^[a-z0-9-]+$/i.test(pair[0]!) && /^https?:\/\//.test(pair[1]!)),
  );
}

/** Headers every page and asset carries. */
const COMMON_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};

export function contentSecurityPolicy(nonce: string, connectOrigins: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${connectOrigins.map((origin) => ` ${origin}`).join('')}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class Site {
  private manifest: Manifest | undefined;
  private settings: SiteOptions | undefined;

  /** `options` is read on the first request: locally the runtime's URLs are known only once it listens. */
  constructor(private readonly optionsOf: () => SiteOptions) {}

  get options(): SiteOptions {
    return (this.settings ??= this.optionsOf());
  }

  private load(): Manifest {
    if (this.manifest) return this.manifest;
    let text: string;
    try {
      text = readFileSync(join(this.options.directory, 'manifest.json'), 'utf8');
    } catch {
      throw new HttpError(503, 'web_not_built', `The console is not built: run npm run build:web (looked in ${this.options.directory})`);
    }
    this.manifest = JSON.parse(text) as Manifest;
    return this.manifest;
  }

  page(page: Page): HttpResponse {
    const entry = this.load().pages[page];
    if (!entry) throw notFound(`No page ${page}`);
    const nonce = randomBytes(16).toString('base64');
    const tags = [
      ...entry.styles.map((href) => `<link rel="stylesheet" href="${href}">`),
      ...entry.preload.map((href) => `<link rel="modulepreload" href="${href}">`),
      ...entry.scripts.map((src) => `<script type="module" src="${src}"></script>`),
    ];
    // Swagger UI is loaded on demand (the reference page, a connector instance's API docs).
    const swagger = this.load().pages.swagger ?? { scripts: [], styles: [] };
    const data = {
      organization: this.options.organization,
      swaggerScript: swagger.scripts[0] ?? '',
      swaggerStyle: swagger.styles[0] ?? '',
      ...(this.options.runtimeUrls ? { runtimeUrls: JSON.stringify(this.options.runtimeUrls) } : {}),
    };
    const attributes = Object.entries(data)
      .map(([name, value]) => ` data-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${escapeHtml(value)}"`)
      .join('');
    const html = [
      '<!doctype html>',
      `<html lang="en"${attributes}>`,
      '<head>',
      '<meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      `<meta name="csp-nonce" content="${nonce}">`,
      `<title>${PAGES[page].title}</title>`,
      '<link rel="icon" href="data:,">',
      ...tags,
      '</head>',
      '<body>',
      '<div id="app"></div>',
      `<noscript>The ${escapeHtml(PAGES[page].title)} needs JavaScript.</noscript>`,
      '</body>',
      '</html>',
      '',
    ].join('\n');
    return {
      status: 200,
      headers: {
        ...COMMON_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': contentSecurityPolicy(nonce, this.options.connectOrigins),
        'cross-origin-opener-policy': 'same-origin',
        'x-frame-options': 'DENY',
        'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
      },
      body: html,
    };
  }

  asset(request: HttpRequest): HttpResponse {
    const url = request.path;
    const file = this.load().files[url];
    if (!file) throw notFound(`No asset ${url}`);
    const accepted = (request.headers['accept-encoding'] ?? '').toLowerCase();
    const encoding = /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : undefined;
    const path = join(this.options.directory, 'assets', url.slice(ASSET_PREFIX.length));
    const body = readFileSync(encoding === 'br' ? `${path}.br` : encoding === 'gzip' ? `${path}.gz` : path);
    return {
      status: 200,
      headers: {
        ...COMMON_HEADERS,
        'content-type': file.type,
        'cache-control': 'public, max-age=31536000, immutable',
        vary: 'accept-encoding',
        ...(encoding ? { 'content-encoding': encoding } : {}),
      },
      body,
    };
  }
}

/** The web function's routes; `auth: none` on each: the pages sign in through the APIs they call. */
export function siteRouter(site: Site): Router<undefined> {
  const router = new Router<undefined>({ auth: 'none', errors: 'platform', tag: 'Web' });
  const page = (name: Page) => async () => site.page(name);
  router.get(`${ASSET_PREFIX}*file`, { summary: 'A hashed console, portal or reference asset' }, async (request) => site.asset(request));
  router.get('/console', { summary: 'The management console' }, page('console'));
  router.get('/console/*rest', { summary: 'The management console (client-side routes)' }, page('console'));
  router.get('/portal', { summary: 'The developer portal' }, page('portal'));
  router.get('/portal/*rest', { summary: 'The developer portal (client-side routes)' }, page('portal'));
  router.get('/docs', { summary: 'The platform API reference (GET /v1/openapi.json rendered)' }, page('docs'));
  // The platform plane's root: the console (proxies are served on the runtime plane).
  router.get('/', { summary: 'Redirects to the console' }, async () => redirect('/console'));
  return router;
}
