// A loopback HTTP backend for proxy tests: records every request and answers
// with a JSON echo, or with whatever the test's handler decides.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type BackendHandler = (request: SeenRequest, res: ServerResponse) => void | Promise<void>;

export interface Backend {
  url: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export const echo: BackendHandler = (request, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'yes' });
  res.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers, body: request.body.toString('utf8') }));
};

export async function startBackend(handler: BackendHandler = echo): Promise<Backend> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(seen);
      Promise.resolve(handler(seen, res)).catch(() => {
        res.writeHead(500);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
