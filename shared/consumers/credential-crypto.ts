// How consumer keys and secrets are generated and kept.
//
// The table never holds a key or secret in the clear:
// - the consumer key (the OAuth client_id and the Apigee API key) is found by a
//   keyed fingerprint and kept sealed with the Envelope so the management API can
//   show it again;
// - the consumer secret is checked against an HMAC-SHA256 keyed from the data
//   key (Envelope.fingerprint), bound to its consumer key, and kept sealed as
//   well (AES-256-GCM with the data key, bound to its organization, app and
//   key), because the proxy runtime hands it to flows as Apigee does
//   (`verifyapikey.{policy}.client_secret`); the management API shows it once,
//   when it is created. A keyed hash rather than scrypt: generated secrets carry
//   256 bits of entropy, so a slow hash adds nothing against guessing them,
//   while it would make every token request hash-bound instead of
//   signing-bound; and without the data key (in Secrets Manager, not in the
//   table) a copy of the table gives nothing to test guesses against or to
//   decrypt, even for imported secrets.
import type { Envelope } from '../crypto/envelope.js';
import { digestEqual } from '../crypto/compare.js';
import { randomSecret } from '../crypto/random.js';

export const generateConsumerKey = () => randomSecret(24);
export const generateConsumerSecret = () => randomSecret(32);

export function keyFingerprint(envelope: Envelope, consumerKey: string): string {
  return envelope.fingerprint(`api-key\n${consumerKey}`);
}

const secretHashInput = (consumerKey: string, consumerSecret: string) => `client-secret\n${consumerKey}\n${consumerSecret}`;

export function secretHash(envelope: Envelope, consumerKey: string, consumerSecret: string): string {
  return envelope.fingerprint(secretHashInput(consumerKey, consumerSecret));
}

/** One HMAC of the presented pair and one constant-time compare of the digests. */
export function secretMatches(envelope: Envelope, consumerKey: string, consumerSecret: string, storedHash: string): boolean {
  return digestEqual(envelope.fingerprintDigest(secretHashInput(consumerKey, consumerSecret)), Buffer.from(storedHash, 'base64url'));
}

/** Additional authenticated data for a sealed consumer key: it decrypts only in its own record. */
export const sealedKeyContext = (org: string, appId: string) => `consumer-key\n${org}\n${appId}`;

/** Additional authenticated data for a sealed consumer secret: bound to its organization, app and key. */
export const sealedSecretContext = (org: string, appId: string, keyFingerprint: string) => `consumer-secret\n${org}\n${appId}\n${keyFingerprint}`;
