// What GenerateJWT, VerifyJWT and DecodeJWT share: claims and keys as Apigee
// writes them, durations (`600s`, `10m`, `1h`), importing PEM and JWK keys
// with jose, JWKS documents fetched through the http service (the SSRF
// guard) and kept per container, and the `jwt.{policy}.*` variables.
import * as z from 'zod';
import { createLocalJWKSet, decodeProtectedHeader, importJWK, importPKCS8, importSPKI, importX509, type CryptoKey, type JWK, type JWTPayload, type KeyObject } from 'jose';
import { TtlCache } from '../../cache/ttl-cache.js';
import type { PolicyExchange } from '../engine/policy.js';
import { formatTime, stringify } from '../language/template.js';
import { resolveValue, valueFromXml, valueToXml, ValueSchema, type Value } from './common.js';
import type { HttpService } from './services.js';
import { el, type XmlElement, type XmlNode } from './xml-model.js';

export const ClaimSchema = z.lazy(() => z.object({
  name: z.string().min(1),
  value: z.string().optional(),
  ref: z.string().optional(),
  type: z.enum(['string', 'number', 'boolean', 'map']).default('string'),
  array: z.boolean().default(false),
}));
export type Claim = z.infer<typeof ClaimSchema>;

export const KeySchema = z.lazy(() => z.object({ value: ValueSchema, id: ValueSchema.optional(), password: ValueSchema.optional(), encoding: z.enum(['utf8', 'base64', 'base64url', 'hex']).default('utf8') }));

export const PublicKeySchema = z.lazy(() => z.object({
  value: ValueSchema.optional(),
  /** JWKS: a URL (a template) or a variable holding the JWKS JSON. */
  jwksUri: z.string().optional(),
  jwksRef: z.string().optional(),
  certificate: ValueSchema.optional(),
}));

/** Apigee durations: milliseconds, or a number with s, m, h, d or w. */
export function durationSeconds(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const match = /^(-?\d+)\s*(ms|s|m|h|d|w)?$/i.exec(text.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  const unit = (match[2] ?? 'ms').toLowerCase();
  return unit === 'ms' ? Math.floor(n / 1000) : n * { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[unit as 's']!;
}

export function claimsFromXml(parent: XmlElement | undefined): unknown[] {
  return (parent?.all('Claim') ?? []).map((claim) => ({
    name: claim.attr('name'),
    value: claim.text() || undefined,
    ref: claim.attr('ref') || undefined,
    type: claim.oneOf(['string', 'number', 'boolean', 'map'] as const, 'type'),
    array: claim.bool('array'),
  }));
}

export function claimsToXml(name: string, claims: Claim[]): XmlNode | undefined {
  if (claims.length === 0) return undefined;
  return el(name, {}, claims.map((claim) => el('Claim', { name: claim.name, ref: claim.ref, type: claim.type === 'string' ? undefined : claim.type, array: claim.array || undefined }, claim.value ?? '')));
}

/** A claim's value: typed, an array when asked. */
export function claimValue(exchange: PolicyExchange, claim: Claim): unknown {
  const raw = claim.ref ? exchange.get(claim.ref) : undefined;
  const text = raw === undefined || raw === null ? claim.value : stringify(raw);
  if (text === undefined) return undefined;
  const cast = (item: string): unknown => {
    if (claim.type === 'number') return Number(item);
    if (claim.type === 'boolean') return item.trim().toLowerCase() === 'true';
    if (claim.type === 'map') {
      try {
        return JSON.parse(item);
      } catch {
        return item;
      }
    }
    return item;
  };
  if (!claim.array) return cast(text);
  if (Array.isArray(raw)) return raw.map((item) => cast(stringify(item)));
  return text.split(/\s*,\s*/).filter(Boolean).map(cast);
}

export function keyFromXml(element: XmlElement | undefined) {
  if (!element) return undefined;
  return {
    value: valueFromXml(element.child('Value')),
    id: valueFromXml(element.child('Id')),
    password: valueFromXml(element.child('Password')),
    encoding: element.oneOf(['utf8', 'base64', 'base64url', 'hex'] as const, 'encoding'),
  };
}

export function keyToXml(name: string, key: z.infer<typeof KeySchema> | undefined): XmlNode | undefined {
  if (!key) return undefined;
  return el(name, { encoding: key.encoding === 'utf8' ? undefined : key.encoding }, [valueToXml('Value', key.value), valueToXml('Id', key.id), valueToXml('Password', key.password)]);
}

export function publicKeyFromXml(element: XmlElement | undefined) {
  if (!element) return undefined;
  const jwks = element.child('JWKS');
  return {
    value: valueFromXml(element.child('Value')),
    jwksUri: jwks?.attr('uri') || undefined,
    jwksRef: jwks?.attr('ref') || undefined,
    certificate: valueFromXml(element.child('Certificate')),
  };
}

export function publicKeyToXml(key: z.infer<typeof PublicKeySchema> | undefined): XmlNode | undefined {
  if (!key) return undefined;
  return el('PublicKey', {}, [
    valueToXml('Value', key.value),
    key.jwksUri || key.jwksRef ? el('JWKS', { uri: key.jwksUri, ref: key.jwksRef }) : undefined,
    valueToXml('Certificate', key.certificate),
  ]);
}

/** The text of a key reference; undefined when it does not resolve. */
export const keyText = (exchange: PolicyExchange, value: Value | undefined) => resolveValue(exchange, value);

export function secretBytes(text: string, encoding: z.infer<typeof KeySchema>['encoding']): Uint8Array {
  return new Uint8Array(Buffer.from(text, encoding === 'utf8' ? 'utf8' : encoding));
}

export type AnyKey = CryptoKey | KeyObject | Uint8Array;

/** A PEM (PKCS#8 private, SPKI public, X.509 certificate) or a JWK, for `algorithm`. */
export async function importKey(text: string, algorithm: string, kind: 'private' | 'public'): Promise<AnyKey> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return importJWK(JSON.parse(trimmed) as JWK, algorithm) as Promise<AnyKey>;
  if (trimmed.includes('BEGIN CERTIFICATE')) return importX509(trimmed, algorithm);
  if (kind === 'private') return importPKCS8(trimmed.replace('BEGIN RSA PRIVATE KEY', 'BEGIN PRIVATE KEY').replace('END RSA PRIVATE KEY', 'END PRIVATE KEY'), algorithm);
  return importSPKI(trimmed, algorithm);
}

/** JWKS documents by URL, per container, 5 minutes (a `kid` not found fetches again at most once a minute). */
const jwksCache = new TtlCache<string, ReturnType<typeof createLocalJWKSet>>({ ttlMs: 300_000, maxEntries: 200 });

export async function jwksFor(url: string, http: HttpService): Promise<ReturnType<typeof createLocalJWKSet>> {
  return jwksCache.get(url, async () => {
    const response = await http.request({ url, method: 'GET', headers: { accept: 'application/json' }, timeoutMs: 5_000, maxResponseBytes: 512 * 1024 });
    if (response.status !== 200) throw new Error(`the JWKS at ${url} answered ${response.status}`);
    return createLocalJWKSet(JSON.parse(response.body.toString('utf8')) as { keys: JWK[] });
  });
}

export function forgetJwks(url: string): void {
  jwksCache.delete(url);
}

/** Apigee's `jwt.{policy}.*` variables for a token's header and payload. */
export function setJwtVariables(exchange: PolicyExchange, policy: string, token: string, payload: JWTPayload, header = decodeProtectedHeader(token)): void {
  const prefix = `jwt.${policy}`;
  const set = (name: string, value: unknown) => exchange.set(`${prefix}.${name}`, value === undefined ? undefined : typeof value === 'object' ? JSON.stringify(value) : value);
  set('header-json', header);
  set('payload-json', payload);
  set('payload-claim-names', Object.keys(payload).join(','));
  set('header.algorithm', header.alg);
  set('header.alg', header.alg);
  set('header.typ', header.typ);
  set('header.kid', header.kid);
  for (const [name, value] of Object.entries(header)) set(`decoded.header.${name}`, value);
  for (const [name, value] of Object.entries(payload)) {
    set(`decoded.claim.${name}`, Array.isArray(value) ? value.join(',') : value);
    set(`claim.${name}`, Array.isArray(value) ? value.join(',') : value);
  }
  set('claim.subject', payload.sub);
  set('claim.issuer', payload.iss);
  set('claim.audience', Array.isArray(payload.aud) ? payload.aud.join(',') : payload.aud);
  set('claim.id', payload.jti);
  set('claim.issuedat', payload.iat);
  set('claim.notbefore', payload.nbf);
  set('claim.expiry', payload.exp);
  if (typeof payload.exp === 'number') {
    const remaining = payload.exp - Math.floor(Date.now() / 1000);
    set('seconds_remaining', remaining);
    set('is_expired', remaining <= 0);
    set('expiry_formatted', formatTime("yyyy-MM-dd'T'HH:mm:ss.SSSZ", payload.exp * 1000));
  }
}
