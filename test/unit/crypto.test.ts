import { describe, expect, it } from 'vitest';
import { safeEqual } from '../../shared/crypto/compare.js';
import { Envelope } from '../../shared/crypto/envelope.js';
import { CachedSecrets } from '../../shared/secrets/store.js';
import { MemorySecretBackend } from '../../shared/secrets/local.js';

const envelope = Envelope.fromSecret('a'.repeat(40));

describe('Envelope (AES-256-GCM)', () => {
  it('round-trips text and binary', () => {
    const sealed = envelope.encrypt('hello wörld', 'ORG#a/KVM#x');
    expect(sealed).not.toContain('hello');
    expect(envelope.decryptText(sealed, 'ORG#a/KVM#x')).toBe('hello wörld');
    const bytes = Buffer.from([0, 255, 1]);
    expect(envelope.decrypt(envelope.encrypt(bytes, 'c'), 'c').equals(bytes)).toBe(true);
  });

  it('uses a fresh IV per value', () => {
    expect(envelope.encrypt('same', 'c')).not.toBe(envelope.encrypt('same', 'c'));
  });

  it('refuses a value moved to another context (tenant or record)', () => {
    const sealed = envelope.encrypt('secret', 'ORG#a/KVM#x');
    expect(() => envelope.decrypt(sealed, 'ORG#b/KVM#x')).toThrow();
  });

  it('refuses tampered or truncated values and foreign keys', () => {
    const sealed = envelope.encrypt('secret', 'c');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    expect(() => envelope.decrypt([...parts.slice(0, 3), body.toString('base64url')].join('.'), 'c')).toThrow();
    expect(() => envelope.decrypt(`${parts.slice(0, 3).join('.')}.AA`, 'c')).toThrow();
    expect(() => Envelope.fromSecret('b'.repeat(40)).decrypt(sealed, 'c')).toThrow(/different data key/);
    expect(() => Envelope.fromSecret('short')).toThrow();
  });

  it('fingerprints deterministically per key', () => {
    expect(envelope.fingerprint('x')).toBe(envelope.fingerprint('x'));
    expect(envelope.fingerprint('x')).not.toBe(Envelope.fromSecret('b'.repeat(40)).fingerprint('x'));
  });
});

describe('safeEqual', () => {
  it('compares exactly', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});

describe('CachedSecrets', () => {
  it('serves repeated reads from memory and coalesces concurrent loads', async () => {
    const backend = new MemorySecretBackend();
    await backend.put('a', '1');
    const secrets = new CachedSecrets(backend, 60_000);
    const values = await Promise.all([secrets.get('a'), secrets.get('a'), secrets.get('a')]);
    expect(values).toEqual(['1', '1', '1']);
    await secrets.get('a');
    expect(secrets.backendCalls).toBe(1);
  });

  it('reloads after the TTL and after invalidate', async () => {
    const backend = new MemorySecretBackend();
    await backend.put('a', '1');
    const secrets = new CachedSecrets(backend, 0);
    await secrets.get('a');
    await backend.put('a', '2');
    expect(await secrets.get('a')).toBe('2');
    const cached = new CachedSecrets(backend, 60_000);
    await cached.get('a');
    await backend.put('a', '3');
    expect(await cached.get('a')).toBe('2');
    cached.invalidate('a');
    expect(await cached.get('a')).toBe('3');
  });

  it('caches absence too, and sees its own writes', async () => {
    const secrets = new CachedSecrets(new MemorySecretBackend(), 60_000);
    expect(await secrets.get('missing')).toBeUndefined();
    await secrets.put('missing', 'now');
    expect(await secrets.get('missing')).toBe('now');
  });
});
