// The web function over HTTP: the console, portal and reference pages with
// their CSP (no inline script, a fresh style nonce per page), security
// headers, hashed assets served compressed and cached for a year, the first
// load of the console within 300 KB compressed, and every policy template of
// the console's palette accepted by the bundle importer.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, proxyEndpoint, targetEndpoint } from '../support/bundles.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { POLICY_TEMPLATES, policyXml } from '../../web/src/console/policy-templates.js';

let platform: TestPlatform;

interface Manifest {
  pages: Record<string, { scripts: string[]; preload: string[]; styles: string[] }>;
  files: Record<string, { type: string; size: number; br: number; gzip: number }>;
}
const manifest = JSON.parse(readFileSync('web/dist/manifest.json', 'utf8')) as Manifest;

beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform.close();
});

describe('pages', () => {
  it.each(['/console', '/console/apis/anything', '/portal', '/portal/products/x', '/docs'])('%s is an HTML shell with a strict CSP and security headers', async (path) => {
    const response = await platform.request('GET', path, { auth: false });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy')!;
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives).toMatchObject({ 'default-src': "'none'", 'script-src': "'self'", 'frame-ancestors': "'none'", 'base-uri': "'none'", 'object-src': "'none'" });
    expect(directives['connect-src']!.split(' ')[0]).toBe("'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const nonce = /'nonce-([^']+)'/.exec(directives['style-src']!)?.[1];
    expect(response.text).toContain(`<meta name="csp-nonce" content="${nonce}">`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    // No inline script at all, and nothing from another origin.
    expect(response.text).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(response.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(response.text).toContain('data-organization="default"');
  });

  it('gives every page a new nonce', async () => {
    const nonces = await Promise.all([1, 2, 3].map(async () => /'nonce-([^']+)'/.exec((await platform.request('GET', '/console', { auth: false })).headers.get('content-security-policy')!)![1]));
    expect(new Set(nonces).size).toBe(3);
  });

  it('answers HEAD and refuses other methods', async () => {
    expect((await platform.request('HEAD', '/console', { auth: false })).status).toBe(200);
    // No POST route there: the HTTP API answers 404, and so does the local platform server, which matches methods as it does.
    expect((await platform.request('POST', '/console', { auth: false })).status).toBe(404);
  });

  it('sends the platform plane\'s root to the console', async () => {
    const response = await platform.request('GET', '/', { auth: false });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/console');
  });

  it('lets the pages call the runtime plane, whose URLs they show', async () => {
    const response = await platform.request('GET', '/portal', { auth: false });
    const connect = /connect-src ([^;]+)/.exec(response.headers.get('content-security-policy')!)![1]!.split(' ');
    expect(connect).toEqual(["'self'", new URL(platform.runtimeUrls.prod).origin, new URL(platform.runtimeUrls.test).origin]);
    expect(response.text).toContain(`data-runtime-urls="${JSON.stringify(platform.runtimeUrls).replaceAll('"', '&#34;')}"`);
  });
});

describe('assets', () => {
  const [script] = manifest.pages.console!.scripts;

  it('serves hashed assets brotli- or gzip-compressed, cached for a year', async () => {
    for (const [encoding, size] of [['br', manifest.files[script!]!.br], ['gzip', manifest.files[script!]!.gzip]] as const) {
      const response = await fetch(platform.url + script, { headers: { 'accept-encoding': encoding } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-encoding')).toBe(encoding);
      expect(Number(response.headers.get('content-length'))).toBe(size);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('vary')).toBe('accept-encoding');
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect((await response.text()).length).toBeGreaterThan(1000);
    }
    const identity = await platform.request('GET', script!, { auth: false, headers: { 'accept-encoding': 'identity' } });
    expect(identity.headers.get('content-encoding')).toBeNull();
    expect(identity.bytes.length).toBe(manifest.files[script!]!.size);
  });

  it('serves only what the manifest lists', async () => {
    for (const path of ['/console/assets/nope.js', '/console/assets/..%2fmanifest.json', '/console/assets/manifest.json']) {
      const response = await platform.request('GET', path, { auth: false });
      expect(response.status, path).toBe(404);
      expect(response.json.error.code).toBe('not_found');
    }
    // A dot-segment path is normalized by the client to /console/manifest.json: a console route, not the file.
    const normalized = await platform.request('GET', '/console/assets/../manifest.json', { auth: false });
    expect(normalized.text).not.toContain('"pages"');
  });

  it('keeps the first load of the console under 300 KB compressed', () => {
    const page = manifest.pages.console!;
    const bytes = [...page.scripts, ...page.preload, ...page.styles].reduce((sum, url) => sum + manifest.files[url]!.br, 0);
    expect(bytes).toBeLessThan(300 * 1024);
    // Swagger UI and the XML editor load only where they are used.
    expect([...page.scripts, ...page.preload].some((url) => /swagger/.test(url))).toBe(false);
  });
});

describe('the palette\'s policy templates', () => {
  it.each(POLICY_TEMPLATES.map((t) => [t.type, t] as const))('%s imports without a problem', async (_type, template) => {
    const zip = bundle('template-check', {
      proxies: { default: proxyEndpoint({ basePath: `/template-${template.type.toLowerCase()}`, request: ['policy-1'] }) },
      targets: { default: targetEndpoint('http://127.0.0.1:9/') },
      policies: { 'policy-1': policyXml(template, 'policy-1') },
    });
    const response = await platform.request('POST', '/v1/organizations/default/apis?action=validate&name=template-check', { body: zip, headers: { 'content-type': 'application/octet-stream' } });
    expect(response.status, response.text).toBe(200);
  });
});
