// Loopback stand-ins for `npm run bench:load`, in their own process: a backend
// for the proxied calls and a vendor API for the connector resource calls,
// each answering a small JSON document at once.
import { createServer, type Server } from 'node:http';

function start(name: string): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ from: name, path: req.url, items: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }] });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const [backend, vendor] = await Promise.all([start('backend'), start('vendor')]);
  const url = (server: Server) => `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  process.send?.({ type: 'listening', backend: url(backend), vendor: url(vendor) });
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stop') process.exit(0);
  });
}

void main();
