// AES-256-GCM for values kept encrypted at rest (KVM entries, vendor tokens,
// client secrets). The key is derived with HKDF from the data-key secret; every
// ciphertext is bound to its context (organization and record) as additional
// authenticated data, so a value copied into another record or tenant fails to
// decrypt instead of being accepted.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class Envelope {
  private constructor(
    private readonly key: Buffer,
    private readonly macKey: Buffer,
    readonly keyId: string,
  ) {}

  static fromSecret(material: string): Envelope {
    if (material.length < 32) throw new Error('Data key material must be at least 32 characters');
    const key = Buffer.from(hkdfSync('sha256', material, 'tollgate', 'data-encryption-v1', 32));
    const macKey = Buffer.from(hkdfSync('sha256', material, 'tollgate', 'lookup-hmac-v1', 32));
    const keyId = createHash('sha256').update(key).digest('base64url').slice(0, 8);
    return new Envelope(key, macKey, keyId);
  }

  /**
   * A keyed hash for looking records up by a secret (an API key, an instance
   * token) without storing the secret: the table alone reveals nothing.
   */
  fingerprint(value: string): string {
    return this.fingerprintDigest(value).toString('base64url');
  }

  /** The bytes of `fingerprint`, for a constant-time comparison with a stored one. */
  fingerprintDigest(value: string): Buffer {
    return createHmac('sha256', this.macKey).update(value, 'utf8').digest();
  }

  encrypt(plaintext: string | Buffer, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.keyId, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(sealed: string, context: string): Buffer {
    const [version, keyId, ivText, bodyText] = sealed.split('.');
    if (version !== VERSION || !ivText || !bodyText) throw new Error('Not an encrypted value');
    if (keyId !== this.keyId) throw new Error('Encrypted with a different data key');
    const body = Buffer.from(bodyText, 'base64url');
    if (body.length < TAG_BYTES) throw new Error('Encrypted value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(ivText, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
  }

  decryptText(sealed: string, context: string): string {
    return this.decrypt(sealed, context).toString('utf8');
  }

  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(`${VERSION}.`) && value.split('.').length === 4;
  }
}
