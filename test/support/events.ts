// Connector events in HTTP tests: a custom element with events pointed at a
// loopback vendor, an instance of it, and a loopback callback receiver that
// records what it is sent and answers as the test says.
import type { TestPlatform } from './platform.js';
import { sendJson, startVendor, type ReceivedRequest, type VendorServer } from './vendor.js';

export interface EventElementOptions {
  key: string;
  baseUrl: string;
  methods: ('polling' | 'webhook')[];
  scheme?: string;
  subscribe?: string[];
  resource?: string;
  authentication?: Record<string, unknown>;
  /** Hooks of the polled resource (`/contacts`). */
  hooks?: Record<string, unknown>[];
}

/** A private element with basic authentication (or the given one) and the events declared. */
export async function createEventElement(platform: TestPlatform, options: EventElementOptions): Promise<void> {
  const made = await platform.request('POST', '/elements/api-v2/elements', {
    json: {
      key: options.key,
      name: `Events ${options.key}`,
      authentication: options.authentication ?? { type: 'basic' },
      configuration: [{ key: 'base.url', name: 'Base URL', defaultValue: options.baseUrl, hidden: true }],
      resources: [{ path: '/contacts', method: 'GET', vendorPath: '/people', ...(options.hooks ? { hooks: options.hooks } : {}) }],
      events: {
        methods: options.methods,
        ...(options.scheme ? { webhook: { scheme: options.scheme, ...(options.subscribe ? { subscribe: options.subscribe } : {}), ...(options.resource ? { resource: options.resource } : {}) } } : {}),
      },
    },
  });
  if (made.status !== 200) throw new Error(`element ${options.key}: ${made.status} ${made.text}`);
}

export async function createEventInstance(platform: TestPlatform, elementKey: string, configuration: Record<string, unknown>): Promise<{ id: number; token: string; configuration: Record<string, string> }> {
  const made = await platform.request('POST', '/elements/api-v2/instances', {
    json: { element: { key: elementKey }, name: `${elementKey} events`, configuration: { username: 'u', password: 'p', ...configuration } },
  });
  if (made.status !== 200) throw new Error(`instance of ${elementKey}: ${made.status} ${made.text}`);
  return made.json;
}

export interface Receiver extends VendorServer {
  /** Parsed notification bodies the receiver answered 2xx to. */
  accepted: { headers: ReceivedRequest['headers']; body: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A callback receiver; `status(n)` gives the answer to the n-th request (1-based). */
export async function startReceiver(status: (n: number) => number = () => 200): Promise<Receiver> {
  const accepted: Receiver['accepted'] = [];
  let count = 0;
  const server = await startVendor((request, res) => {
    const answer = status(++count);
    if (answer >= 200 && answer < 300) accepted.push({ headers: request.headers, body: JSON.parse(request.body.toString('utf8')) });
    sendJson(res, answer, { ok: answer < 300 });
  });
  return Object.assign(server, { accepted });
}
