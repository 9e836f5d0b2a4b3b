import { randomBytes, randomUUID } from 'node:crypto';

/** A URL-safe random secret; 32 bytes (256 bits) by default. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomId(): string {
  return randomUUID();
}
