// GenerateJWT: a signed JWT (HS*, RS*, PS*, ES*) or an encrypted one (JWE with
// RSA-OAEP / ECDH-ES key encryption, Apigee's `<Algorithms><Key>`), with
// Apigee's claims (subject, issuer, audience, id, expiry, not-before,
// additional claims and headers), written to OutputVariable. jose does the
// cryptography.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { CompactEncrypt, SignJWT, type JWTPayload } from 'jose';
import { defineFaults, raise, resolveValue, valueFromXml, valueToXml, ValueSchema } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { claimValue, claimsFromXml, claimsToXml, ClaimSchema, durationSeconds, importKey, keyFromXml, KeySchema, keyText, keyToXml, publicKeyFromXml, PublicKeySchema, publicKeyToXml, secretBytes, type AnyKey } from './jwt-settings.js';
import { el, optional } from './xml-model.js';

export const GENERATE_JWT_FAULTS = defineFaults({
  AlgorithmNotAvailable: ['steps.jwt.AlgorithmNotAvailable', 500],
  FailedToResolveVariable: ['steps.jwt.FailedToResolveVariable', 500],
  InvalidClaim: ['steps.jwt.InvalidClaim', 500],
  KeyParsingFailed: ['steps.jwt.KeyParsingFailed', 500],
  SigningFailed: ['steps.jwt.SigningFailed', 500],
});

const schema = z.lazy(() => z
  .object({
    algorithm: z.string().optional(),
    /** Encrypted JWTs: key and content encryption algorithms. */
    keyAlgorithm: z.string().optional(),
    contentAlgorithm: z.string().default('A128GCM'),
    secretKey: KeySchema.optional(),
    privateKey: KeySchema.optional(),
    publicKey: PublicKeySchema.optional(),
    subject: ValueSchema.optional(),
    issuer: ValueSchema.optional(),
    audience: ValueSchema.optional(),
    /** `<Id/>` empty: a random jti. */
    id: ValueSchema.optional(),
    generateId: z.boolean().default(false),
    expiresIn: ValueSchema.optional(),
    notBefore: ValueSchema.optional(),
    claims: z.array(ClaimSchema).default([]),
    headers: z.array(ClaimSchema).default([]),
    outputVariable: z.string().default('jwt'),
    ignoreUnresolvedVariables: z.boolean().default(false),
  })
  .refine((config) => Boolean(config.algorithm) !== Boolean(config.keyAlgorithm), { message: 'exactly one of <Algorithm> (signed) or <Algorithms> (encrypted) is required' }));

export const generateJwt = definePolicy({
  type: 'GenerateJWT',
  schema,
  faults: GENERATE_JWT_FAULTS,
  execute: async ({ config, exchange, policy }) => {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { iat: now };
    const text = (value: z.infer<typeof ValueSchema> | undefined, what: string) => {
      const resolved = resolveValue(exchange, value);
      if (value && resolved === undefined && !config.ignoreUnresolvedVariables) throw raise(GENERATE_JWT_FAULTS, 'FailedToResolveVariable', `${policy.name}: ${what} could not be resolved`);
      return resolved;
    };
    const subject = text(config.subject, 'the subject');
    const issuer = text(config.issuer, 'the issuer');
    const audience = text(config.audience, 'the audience');
    if (subject !== undefined) payload.sub = subject;
    if (issuer !== undefined) payload.iss = issuer;
    if (audience !== undefined) payload.aud = audience.includes(',') ? audience.split(/\s*,\s*/) : audience;
    const id = config.generateId ? randomUUID() : text(config.id, 'the id');
    if (id !== undefined) payload.jti = id;
    const expiresIn = durationSeconds(text(config.expiresIn, 'ExpiresIn'));
    if (expiresIn !== undefined) payload.exp = now + expiresIn;
    const notBefore = text(config.notBefore, 'NotBefore');
    if (notBefore !== undefined) payload.nbf = /^\d{9,}$/.test(notBefore) ? Number(notBefore) : now + (durationSeconds(notBefore) ?? 0);
    for (const claim of config.claims) {
      const value = claimValue(exchange, claim);
      if (value !== undefined) payload[claim.name] = value;
    }
    const headers: Record<string, unknown> = {};
    for (const claim of config.headers) {
      const value = claimValue(exchange, claim);
      if (value !== undefined) headers[claim.name] = value;
    }
    let key: AnyKey;
    let kid: string | undefined;
    try {
      if (config.keyAlgorithm) {
        const pem = keyText(exchange, config.publicKey?.value);
        if (!pem) throw raise(GENERATE_JWT_FAULTS, 'FailedToResolveVariable', `${policy.name}: the public key could not be resolved`);
        key = await importKey(pem, config.keyAlgorithm, 'public');
      } else if (config.algorithm!.startsWith('HS')) {
        const secret = keyText(exchange, config.secretKey?.value);
        if (!secret) throw raise(GENERATE_JWT_FAULTS, 'FailedToResolveVariable', `${policy.name}: the secret key could not be resolved`);
        key = secretBytes(secret, config.secretKey!.encoding);
        kid = keyText(exchange, config.secretKey?.id);
      } else {
        const pem = keyText(exchange, config.privateKey?.value);
        if (!pem) throw raise(GENERATE_JWT_FAULTS, 'FailedToResolveVariable', `${policy.name}: the private key could not be resolved`);
        key = await importKey(pem, config.algorithm!, 'private');
        kid = keyText(exchange, config.privateKey?.id);
      }
    } catch (error) {
      if (error instanceof Error && error.name === 'Fault') throw error;
      throw raise(GENERATE_JWT_FAULTS, 'KeyParsingFailed', `${policy.name}: the key could not be read for ${config.algorithm ?? config.keyAlgorithm}`);
    }
    let token: string;
    try {
      if (config.keyAlgorithm) {
        token = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
          .setProtectedHeader({ ...headers, alg: config.keyAlgorithm, enc: config.contentAlgorithm, typ: 'JWT' })
          .encrypt(key);
      } else {
        token = await new SignJWT(payload).setProtectedHeader({ ...headers, alg: config.algorithm!, typ: 'JWT', ...(kid ? { kid } : {}) }).sign(key);
      }
    } catch {
      throw raise(GENERATE_JWT_FAULTS, 'SigningFailed', `${policy.name}: the token could not be made with ${config.algorithm ?? config.keyAlgorithm}`);
    }
    exchange.set(config.outputVariable, token);
  },
});

export const generateJwtXml = /* @__PURE__ */ policyXml(generateJwt, {
  fromXml: (root) => {
    const algorithms = root.child('Algorithms');
    const id = root.child('Id');
    root.child('Type')?.consume();
    return {
      algorithm: root.childText('Algorithm') || undefined,
      keyAlgorithm: algorithms?.childText('Key') || undefined,
      contentAlgorithm: algorithms?.childText('Content') || undefined,
      secretKey: keyFromXml(root.child('SecretKey')),
      privateKey: keyFromXml(root.child('PrivateKey')),
      publicKey: publicKeyFromXml(root.child('PublicKey')),
      subject: valueFromXml(root.child('Subject')),
      issuer: valueFromXml(root.child('Issuer')),
      audience: valueFromXml(root.child('Audience')),
      id: valueFromXml(id),
      generateId: id !== undefined && valueFromXml(id) === undefined,
      expiresIn: valueFromXml(root.child('ExpiresIn')),
      notBefore: valueFromXml(root.child('NotBefore')),
      claims: claimsFromXml(root.child('AdditionalClaims')),
      headers: claimsFromXml(root.child('AdditionalHeaders')),
      outputVariable: root.childText('OutputVariable') || undefined,
      ignoreUnresolvedVariables: root.child('IgnoreUnresolvedVariables')?.bool(),
    };
  },
  toXml: (config) => ({
    children: [
      optional('Algorithm', config.algorithm),
      config.keyAlgorithm ? el('Algorithms', {}, [el('Key', {}, config.keyAlgorithm), el('Content', {}, config.contentAlgorithm)]) : undefined,
      keyToXml('SecretKey', config.secretKey),
      keyToXml('PrivateKey', config.privateKey),
      publicKeyToXml(config.publicKey),
      valueToXml('Subject', config.subject),
      valueToXml('Issuer', config.issuer),
      valueToXml('Audience', config.audience),
      config.generateId ? el('Id') : valueToXml('Id', config.id),
      valueToXml('ExpiresIn', config.expiresIn),
      valueToXml('NotBefore', config.notBefore),
      claimsToXml('AdditionalClaims', config.claims),
      claimsToXml('AdditionalHeaders', config.headers),
      el('OutputVariable', {}, config.outputVariable),
      el('IgnoreUnresolvedVariables', {}, config.ignoreUnresolvedVariables),
    ].filter((node) => node !== undefined),
  }),
});
