// A built-in element as an organization's private element whose vendor URLs
// point at loopback stand-ins: the same resources, mappings, paging and
// query translation, only the hosts replaced.
import { builtinElementFiles } from '../../shared/connectors/catalog.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Replaces the origin of every URL of the element (base URL, OAuth endpoints) with `origin`; `{placeholders}` in them stay. */
export function loopbackCopy(file: string, key: string, origin: string, overrides: { baseUrl?: string } = {}): Json {
  const source = structuredClone(builtinElementFiles()[file]) as Json;
  const { id: _id, ...definition } = source;
  const swap = (url: string) => url.replace(/^https?:\/\/[^/]+/, origin);
  for (const entry of definition.configuration as Json[]) {
    if (entry.key === 'base.url') entry.defaultValue = overrides.baseUrl ?? swap(entry.defaultValue);
    if (entry.key === 'oauth.authorization.url' || entry.key === 'oauth.token.url') entry.defaultValue = swap(entry.defaultValue);
  }
  const auth = definition.authentication as Json;
  for (const name of ['authorizationUrl', 'tokenUrl', 'requestTokenUrl', 'accessTokenUrl']) if (typeof auth[name] === 'string') auth[name] = swap(auth[name]);
  delete auth.issuer;
  return { ...definition, key, name: `${definition.name} (loopback)` };
}
