// Timing-safe comparison of secrets, as a test: the compare functions behave
// exactly like equality, every place that checks a presented secret uses them,
// and no `===` or `!==` in shared/ compares a secret-looking value unless it
// is listed below with the reason it is not a check of a presented secret.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secretHash, secretMatches } from '../../shared/consumers/credential-crypto.js';
import { digestEqual, safeEqual } from '../../shared/crypto/compare.js';
import { Envelope } from '../../shared/crypto/envelope.js';

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the compare functions', () => {
  it('safeEqual is equality, for any strings, whatever their lengths', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 }), (x, y) => {
        expect(safeEqual(x, y)).toBe(x === y);
        expect(safeEqual(x, x)).toBe(true);
      }),
      { numRuns: 500 },
    );
    // Same SHA-256 input length, one character apart; a prefix; different Unicode normal forms.
    expect(safeEqual('a'.repeat(64), `${'a'.repeat(63)}b`)).toBe(false);
    expect(safeEqual('secret', 'secret\u0000')).toBe(false);
    expect(safeEqual('\u00e9', 'e\u0301')).toBe(false);
  });

  it('digestEqual is byte equality, a different length included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (x, y) => {
        expect(digestEqual(Buffer.from(x), Buffer.from(y))).toBe(Buffer.from(x).equals(Buffer.from(y)));
        expect(digestEqual(Buffer.from(x), Buffer.from(x))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('secretMatches accepts exactly the consumer secret issued with its key', () => {
    const envelope = Envelope.fromSecret('k'.repeat(40));
    const stored = secretHash(envelope, 'key-1', 'the-secret');
    expect(secretMatches(envelope, 'key-1', 'the-secret', stored)).toBe(true);
    expect(secretMatches(envelope, 'key-1', 'the-secreT', stored)).toBe(false);
    expect(secretMatches(envelope, 'key-2', 'the-secret', stored)).toBe(false);
    expect(secretMatches(envelope, 'key-1', '', stored)).toBe(false);
    expect(secretMatches(Envelope.fromSecret('z'.repeat(40)), 'key-1', 'the-secret', stored)).toBe(false);
    // A stored value that is not a digest of the right length never matches.
    expect(secretMatches(envelope, 'key-1', 'the-secret', stored.slice(0, -2))).toBe(false);
    expect(secretMatches(envelope, 'key-1', 'the-secret', '')).toBe(false);
  });
});

describe('every compare of a presented secret is constant-time', () => {
  const files = sourceFiles(join(ROOT, 'shared')).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

  it('uses safeEqual where platform secrets, consumer secrets and instance tokens are checked', () => {
    const sites: [string, RegExp][] = [
      ['shared/auth/platform.ts', /safeEqual\(organizationSecret, stored\.organizationSecret\)[\s\S]*safeEqual\(user, stored\.userSecret\)/],
      ['shared/consumers/credential-crypto.ts', /digestEqual\(envelope\.fingerprintDigest\(/],
      ['shared/connectors/instances.ts', /safeEqual\(token, stored\)/],
    ];
    for (const [path, use] of sites) {
      expect(files.find((file) => file.path === path)?.text, path).toMatch(use);
    }
    // The one place that compares bytes: strings hashed first so neither content nor length leaks, digests as they are.
    const compare = files.find((file) => file.path === 'shared/crypto/compare.ts')!.text;
    expect(compare).toMatch(/timingSafeEqual\(a, b\)/);
    expect(compare).toMatch(/actual\.length === expected\.length && timingSafeEqual\(actual, expected\)/);
  });

  it('has no === or !== on a secret, token, password, hash or signature outside the reviewed list', () => {
    // Every reviewed comparison, with why it is not a check of something a caller presents.
    const reviewed = new Map<string, string>([
      ['shared/http/basic-auth.ts: if (id !== basic.user || secret !== basic.password) candidates.push({ clientId: basic.user, clientSecret: basic.password });', 'the decoded and the raw reading of the same presented value'],
      ['shared/auth/organizations.ts: if (credentials.organizationSecret !== existing?.organizationSecret) {', 'configuration at start-up: write the secret only when it changed'],
      ['shared/auth/organizations.ts: if (credentials.userSecret !== existing?.userSecret) await rt.secrets.put(names.user, credentials.userSecret);', 'configuration at start-up'],
      ["shared/connectors/token-lifecycle.ts: return trigger.reason === 'expiry' ? isExpiring(credentials, auth) : credentials.accessToken === trigger.accessToken;", 'two stored vendor tokens: has the one the vendor refused been replaced'],
      ["shared/gateway/language/condition.ts: return token.kind === 'word' && token.text.length === word.length && token.text.toLowerCase() === word;", 'a lexer token of the condition language, not a credential'],
      ["shared/connectors/oauth1-flow.ts: if (!consumerSecret) problems.push({ path: 'configuration.oauth.api.secret', message: `required: the consumer ${auth.signatureMethod === 'RSA-SHA1' ? 'private key (PEM)' : 'secret'}` });", 'the configured signature method names the field a problem message asks for'],
      ["shared/connectors/unified/ceql.ts: return token.kind === 'word' && token.value.toUpperCase() === word;", 'a lexer token of the CEQL query language, not a credential'],
      ['shared/connectors/token-lifecycle.ts: rotated: Boolean(tokens.refreshToken && tokens.refreshToken !== credentials.refreshToken),', 'a log flag: did the vendor rotate its refresh token'],
    ]);
    const SECRETISH = /[\w.?]*(secret|password|token|signature|hash|verifier|apikey|api_key)\w*/i;
    const found: string[] = [];
    for (const { path, text } of files) {
      text.split('\n').forEach((line) => {
        const code = line.replace(/\/\/.*$/, '');
        for (const match of code.matchAll(/([\w.?!()[\]'"]+)\s*(===|!==)\s*([\w.?!()[\]'"]+)/g)) {
          const left = match[1]!.replace(/^[(!]+/, '');
          const right = match[3]!.replace(/[)\]]+$/, '');
          if (!SECRETISH.test(left) && !SECRETISH.test(right)) continue;
          // Type and presence checks compare no secret.
          if (/^(undefined|null|''|""|'\w*'|"\w*"|\d+|true|false)$/.test(right) || /^typeof/.test(left) || /\.(length|type|kind|reason|status|name)$/.test(left)) continue;
          found.push(`${path}: ${line.trim()}`);
        }
      });
    }
    const unreviewed = [...new Set(found)].filter((site) => !reviewed.has(site));
    expect(unreviewed, 'compare these with safeEqual, or review them and add them above with the reason').toEqual([]);
    // The list stays true: every reviewed line still exists.
    for (const site of reviewed.keys()) expect(found, site).toContain(site);
  });
});
