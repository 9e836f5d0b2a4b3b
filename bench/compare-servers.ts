// The floors `npm run bench:compare` measures Tollgate against, one per
// process (the role is the first argument), each on a free loopback port:
//   backend         answers a small JSON document at once
//   forwarder       minimal Node forwarder: node:http server, node:http
//                   client with a keep-alive Agent, to BACKEND
//   fetch-forwarder the same with the global fetch (undici)
//   token           minimal token server: node:http + jose ES256, checks a
//                   client_secret_basic pair (constant time) and signs the
//                   claim set Tollgate signs
// Each tells its parent its URL (and the token server its Basic
// credentials), then answers `cpu` and `stop` (processes.ts).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { answerParent } from './processes.js';

const role = process.argv[2];
const BACKEND = process.env.BACKEND ?? '';
const BODY = JSON.stringify({ from: 'backend', items: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }] });

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function backend(): Handler {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
      res.end(BODY);
    });
  };
}

function forwarder(): Handler {
  const target = new URL(BACKEND);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return (req, res) => {
    const headers = { ...req.headers, host: target.host };
    delete headers.connection;
    const outgoing = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (incoming) => {
      const out = { ...incoming.headers };
      delete out.connection;
      delete out['keep-alive'];
      res.writeHead(incoming.statusCode ?? 502, out);
      incoming.pipe(res);
    });
    outgoing.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(outgoing);
  };
}

function fetchForwarder(): Handler {
  return (req, res) => {
    req.resume();
    fetch(new URL(req.url ?? '/', BACKEND), { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } })
      .then(async (response) => {
        const body = Buffer.from(await response.arrayBuffer());
        res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/octet-stream', 'content-length': body.length });
        res.end(body);
      })
      .catch(() => {
        res.writeHead(502);
        res.end();
      });
  };
}

async function tokenServer(): Promise<{ handler: Handler; basic: string }> {
  const { privateKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  const clientId = randomBytes(24).toString('base64url');
  const clientSecret = randomBytes(32).toString('base64url');
  const expected = createHash('sha256').update(`${clientId}:${clientSecret}`).digest();
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  const send = (res: ServerResponse, status: number, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const handler: Handler = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const header = req.headers.authorization ?? '';
      const presented = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString() : '';
      if (!timingSafeEqual(createHash('sha256').update(presented).digest(), expected)) return send(res, 401, { error: 'invalid_client' });
      if (form.get('grant_type') !== 'client_credentials') return send(res, 400, { error: 'unsupported_grant_type' });
      const iat = Math.floor(Date.now() / 1000);
      new SignJWT({ client_id: clientId, scope: 'read', api_products: ['load'], organization: 'default', developer_email: 'load@example.com', app_name: 'load' })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setIssuer('http://127.0.0.1')
        .setSubject(clientId)
        .setJti(randomUUID())
        .setIssuedAt(iat)
        .setExpirationTime(iat + 3600)
        .sign(privateKey)
        .then((accessToken) => send(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: 'read' }))
        .catch(() => send(res, 500, { error: 'server_error' }));
    });
  };
  return { handler, basic };
}

async function main() {
  let handler: Handler;
  let basic: string | undefined;
  if (role === 'backend') handler = backend();
  else if (role === 'forwarder') handler = forwarder();
  else if (role === 'fetch-forwarder') handler = fetchForwarder();
  else if (role === 'token') ({ handler, basic } = await tokenServer());
  else throw new Error(`unknown role ${role}`);
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  answerParent();
  process.send?.({ type: 'listening', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, basic });
}

main().catch((error: unknown) => {
  process.stderr.write(`${role} failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
