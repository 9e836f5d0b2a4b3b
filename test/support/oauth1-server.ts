// A loopback OAuth 1.0a service provider (RFC 5849) for connector tests:
// temporary credentials (2.1), the resource owner's authorization (2.2),
// token credentials (2.3) and a protected resource, each request's
// signature checked (3.2) with oauth-sign's base string (`request`'s signing
// module, not Tollgate's code): HMAC-SHA1, RSA-SHA1 against the consumer's
// public key, or PLAINTEXT; timestamps within 5 minutes and nonces used once.
import { verify } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { generateBase, hmacsign, plaintext } from 'oauth-sign';
import { sendJson, startVendor, type ReceivedRequest, type VendorServer } from './vendor.js';

export interface OAuth1Consumer {
  key: string;
  /** HMAC-SHA1 and PLAINTEXT: the shared secret; RSA-SHA1: the consumer's public key (PEM). */
  secret: string;
  method: 'HMAC-SHA1' | 'RSA-SHA1' | 'PLAINTEXT';
}

export interface OAuth1Server extends VendorServer {
  /** What the resource owner's browser gets when it approves: the callback URL with oauth_token and oauth_verifier. */
  authorize(url: string): Promise<URL>;
  /** Every signature check, in order: the path and whether it passed. */
  checks: { path: string; ok: boolean; problem?: string }[];
}

/** `OAuth a="1", b="2"` -> its parameters, decoded (RFC 5849 3.5.1). */
function parseAuthorization(header: string | undefined): Record<string, string> | undefined {
  if (!header?.startsWith('OAuth ')) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.slice(6).matchAll(/([A-Za-z0-9_]+)="([^"]*)"/g)) params[match[1]!] = decodeURIComponent(match[2]!);
  return params;
}

export async function startOAuth1Server(consumers: OAuth1Consumer[]): Promise<OAuth1Server> {
  const temporary = new Map<string, { secret: string; consumer: string; callback: string; verifier?: string }>();
  const tokens = new Map<string, { secret: string; consumer: string }>();
  const nonces = new Set<string>();
  const checks: OAuth1Server['checks'] = [];


  const reject = (res: ServerResponse, request: ReceivedRequest, problem: string) => {
    checks.push({ path: request.path, ok: false, problem });
    res.writeHead(401, { 'content-type': 'application/x-www-form-urlencoded', 'www-authenticate': 'OAuth realm="loopback"' }).end(`oauth_problem=${problem}`);
  };

  /** Checks the request's signature; the token's secret is looked up in `secrets`. */
  const signed = (request: ReceivedRequest, res: ServerResponse, secrets?: Map<string, { secret: string; consumer: string }>): Record<string, string> | undefined => {
    const oauth = parseAuthorization(request.headers.authorization);
    if (!oauth) return void reject(res, request, 'parameter_absent');
    const consumer = consumers.find((c) => c.key === oauth.oauth_consumer_key);
    if (!consumer) return void reject(res, request, 'consumer_key_unknown');
    if (oauth.oauth_signature_method !== consumer.method) return void reject(res, request, 'signature_method_rejected');
    if (Math.abs(Number(oauth.oauth_timestamp) - Date.now() / 1000) > 300) return void reject(res, request, 'timestamp_refused');
    if (!oauth.oauth_nonce || nonces.has(`${oauth.oauth_timestamp}:${oauth.oauth_nonce}`)) return void reject(res, request, 'nonce_used');
    let tokenSecret = '';
    if (secrets) {
      const token = secrets.get(oauth.oauth_token ?? '');
      if (!token || token.consumer !== consumer.key) return void reject(res, request, 'token_rejected');
      tokenSecret = token.secret;
    }
    const { oauth_signature: given, realm: _realm, ...protocol } = oauth;
    const params: Record<string, string | string[]> = { ...protocol };
    for (const [name, value] of [...request.query, ...(String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(request.body.toString()) : [])]) {
      const existing = params[name];
      params[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const uri = `http://${request.headers.host}${request.path}`;
    const ok =
      consumer.method === 'HMAC-SHA1'
        ? hmacsign(request.method, uri, params, consumer.secret, tokenSecret) === given
        : consumer.method === 'PLAINTEXT'
          ? plaintext(consumer.secret, tokenSecret) === given
          : verify('sha1', Buffer.from(generateBase(request.method, uri, params)), consumer.secret, Buffer.from(given ?? '', 'base64'));
    if (!ok) return void reject(res, request, 'signature_invalid');
    nonces.add(`${oauth.oauth_timestamp}:${oauth.oauth_nonce}`);
    checks.push({ path: request.path, ok: true });
    return oauth;
  };

  const form = (res: ServerResponse, values: Record<string, string>) => {
    res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(new URLSearchParams(values).toString());
  };

  const server: VendorServer = await startVendor((request, res) => {
    if (request.method === 'POST' && request.path === '/oauth/request_token') {
      const oauth = signed(request, res);
      if (!oauth) return;
      if (!oauth.oauth_callback) return reject(res, request, 'parameter_absent');
      const token = randomBytes(8).toString('hex');
      temporary.set(token, { secret: randomBytes(12).toString('hex'), consumer: oauth.oauth_consumer_key!, callback: oauth.oauth_callback });
      return form(res, { oauth_token: token, oauth_token_secret: temporary.get(token)!.secret, oauth_callback_confirmed: 'true' });
    }
    if (request.method === 'GET' && request.path === '/oauth/authorize') {
      const pending = temporary.get(request.query.get('oauth_token') ?? '');
      if (!pending) return sendJson(res, 400, { error: 'unknown request token' });
      pending.verifier = randomBytes(6).toString('hex');
      const back = new URL(pending.callback);
      back.searchParams.set('oauth_token', request.query.get('oauth_token')!);
      back.searchParams.set('oauth_verifier', pending.verifier);
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (request.method === 'POST' && request.path === '/oauth/access_token') {
      const oauth = signed(request, res, temporary);
      if (!oauth) return;
      const pending = temporary.get(oauth.oauth_token!)!;
      if (!pending.verifier || pending.verifier !== oauth.oauth_verifier) return reject(res, request, 'verifier_invalid');
      temporary.delete(oauth.oauth_token!);
      const token = randomBytes(8).toString('hex');
      tokens.set(token, { secret: randomBytes(12).toString('hex'), consumer: oauth.oauth_consumer_key! });
      return form(res, { oauth_token: token, oauth_token_secret: tokens.get(token)!.secret, user_id: '42' });
    }
    const oauth = signed(request, res, tokens);
    if (!oauth) return;
    return sendJson(res, 200, { method: request.method, path: request.path, query: Object.fromEntries(request.query), body: request.body.toString(), consumer: oauth.oauth_consumer_key });
  });

  return Object.assign(server, {
    checks,
    async authorize(url: string): Promise<URL> {
      const response = await fetch(url, { redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status !== 302 || !location) throw new Error(`authorization answered ${response.status}`);
      return new URL(location);
    },
  });
}
