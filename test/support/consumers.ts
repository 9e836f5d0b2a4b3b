// Creates an API product, a developer and an app through the management API,
// and returns the app's credential as issued (the only time the secret is shown).
import { expect } from 'vitest';
import type { TestPlatform } from './platform.js';

export interface ProvisionedApp {
  org: string;
  email: string;
  appName: string;
  appId: string;
  consumerKey: string;
  consumerSecret: string;
}

export interface ProvisionOptions {
  org?: string;
  auth?: string;
  product?: string;
  scopes?: string[];
  productFields?: Record<string, unknown>;
  email?: string;
  appName?: string;
  /** Import this secret as an additional credential and return it instead of the generated one. */
  consumerSecret?: string;
}

let counter = 0;

export async function provisionApp(platform: TestPlatform, options: ProvisionOptions = {}): Promise<ProvisionedApp> {
  counter++;
  const org = options.org ?? 'default';
  const base = `/v1/organizations/${org}`;
  const auth = options.auth ?? platform.auth;
  const product = options.product ?? `product-${counter}`;
  const email = options.email ?? `dev${counter}@example.com`;
  const appName = options.appName ?? `app-${counter}`;
  const madeProduct = await platform.request('POST', `${base}/apiproducts`, {
    auth,
    json: { name: product, scopes: options.scopes ?? ['read', 'write'], ...options.productFields },
  });
  expect([201, 409]).toContain(madeProduct.status);
  const madeDeveloper = await platform.request('POST', `${base}/developers`, {
    auth,
    json: { email, firstName: 'Ada', lastName: 'Lovelace', userName: `ada${counter}` },
  });
  expect([201, 409]).toContain(madeDeveloper.status);
  const app = await platform.request('POST', `${base}/developers/${email}/apps`, { auth, json: { name: appName, apiProducts: [product] } });
  expect(app.status).toBe(201);
  let { consumerKey, consumerSecret } = app.json.credentials[0] as { consumerKey: string; consumerSecret: string };
  if (options.consumerSecret !== undefined) {
    const key = await platform.request('POST', `${base}/developers/${email}/apps/${appName}/keys/create`, {
      auth,
      json: { consumerSecret: options.consumerSecret, apiProducts: [product] },
    });
    expect(key.status).toBe(201);
    ({ consumerKey, consumerSecret } = key.json as { consumerKey: string; consumerSecret: string });
  }
  return { org, email, appName, appId: app.json.appId as string, consumerKey, consumerSecret };
}

/** `Basic base64(id:secret)` exactly as given, without RFC 6749's form-encoding. */
export function rawBasic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`;
}

/** `Basic` as RFC 6749 section 2.3.1 specifies: form-encode id and secret, then base64. */
export function formBasic(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return rawBasic(encode(id), encode(secret));
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
