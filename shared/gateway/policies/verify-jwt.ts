// VerifyJWT: checks a signed JWT (secret, public key, certificate or JWKS,
// fetched through the SSRF guard and kept per container) or decrypts an
// encrypted one (private key), then its times (with TimeAllowance) and the
// claims Apigee compares: subject, issuer, audience and additional claims.
// Sets `jwt.{policy}.*`; refusals are Apigee's 401 faults.
import * as z from 'zod';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtDecrypt, type JWK, type JWTPayload } from 'jose';
import { stringify } from '../language/template.js';
import { defineFaults, raise, render, resolveValue, valueFromXml, valueToXml, ValueSchema } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import {
  claimValue,
  claimsFromXml,
  claimsToXml,
  ClaimSchema,
  durationSeconds,
  forgetJwks,
  importKey,
  jwksFor,
  keyFromXml,
  KeySchema,
  keyText,
  keyToXml,
  publicKeyFromXml,
  PublicKeySchema,
  publicKeyToXml,
  secretBytes,
  setJwtVariables,
} from './jwt-settings.js';
import { el, optional } from './xml-model.js';

export const VERIFY_JWT_FAULTS = defineFaults({
  FailedToDecode: ['steps.jwt.FailedToDecode', 401],
  TokenExpired: ['steps.jwt.TokenExpired', 401],
  TokenNotYetValid: ['steps.jwt.TokenNotYetValid', 401],
  InvalidToken: ['steps.jwt.InvalidToken', 401],
  AlgorithmMismatch: ['steps.jwt.AlgorithmMismatch', 401],
  NoAlgorithmFoundInHeader: ['steps.jwt.NoAlgorithmFoundInHeader', 401],
  InvalidSignature: ['steps.jwt.InvalidSignature', 401],
  JwtSubjectMismatch: ['steps.jwt.JwtSubjectMismatch', 401],
  JwtIssuerMismatch: ['steps.jwt.JwtIssuerMismatch', 401],
  JwtAudienceMismatch: ['steps.jwt.JwtAudienceMismatch', 401],
  InvalidClaim: ['steps.jwt.InvalidClaim', 401],
  NoMatchingPublicKey: ['steps.jwt.NoMatchingPublicKey', 401],
  KeyParsingFailed: ['steps.jwt.KeyParsingFailed', 401],
  FailedToResolveVariable: ['steps.jwt.FailedToResolveVariable', 401],
});

const schema = z.lazy(() => z
  .object({
    /** Signed: the algorithm(s) accepted, comma-separated. */
    algorithm: z.string().optional(),
    keyAlgorithm: z.string().optional(),
    contentAlgorithm: z.string().optional(),
    /** Where the token is; default: `Authorization: Bearer`. */
    source: z.string().optional(),
    secretKey: KeySchema.optional(),
    publicKey: PublicKeySchema.optional(),
    privateKey: KeySchema.optional(),
    subject: ValueSchema.optional(),
    issuer: ValueSchema.optional(),
    audience: ValueSchema.optional(),
    claims: z.array(ClaimSchema).default([]),
    timeAllowance: z.string().optional(),
    ignoreUnresolvedVariables: z.boolean().default(false),
  })
  .refine((config) => Boolean(config.algorithm) !== Boolean(config.keyAlgorithm), { message: 'exactly one of <Algorithm> (signed) or <Algorithms> (encrypted) is required' }));

type Config = z.infer<typeof schema>;

function tokenOf(config: Config, get: (name: string) => unknown): string | undefined {
  if (config.source) {
    const value = get(config.source);
    return value === undefined || value === null || value === '' ? undefined : stringify(value).trim().replace(/^Bearer\s+/i, '');
  }
  const header = stringify(get('request.header.authorization'));
  return /^Bearer\s+(\S+)$/i.exec(header)?.[1];
}

export const verifyJwt = definePolicy({
  type: 'VerifyJWT',
  schema,
  faults: VERIFY_JWT_FAULTS,
  references: (config) => ({ urls: config.publicKey?.jwksUri && !config.publicKey.jwksUri.includes('{') ? [config.publicKey.jwksUri] : [] }),
  services: ['http'],
  execute: async ({ config, exchange, policy, services: { http } }) => {
    exchange.set(`jwt.${policy.name}.valid`, false);
    const token = tokenOf(config, (name) => exchange.get(name));
    if (!token) throw raise(VERIFY_JWT_FAULTS, 'FailedToResolveVariable', `Failed to Resolve Variable : policy(${policy.name}) variable(${config.source ?? 'request.header.authorization'})`);
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw raise(VERIFY_JWT_FAULTS, 'FailedToDecode', `Failed to Decode Token: policy(${policy.name})`);
    }
    if (!header.alg) throw raise(VERIFY_JWT_FAULTS, 'NoAlgorithmFoundInHeader', `No algorithm found in header: policy(${policy.name})`);
    let payload: JWTPayload;
    if (config.keyAlgorithm) {
      if (header.alg !== config.keyAlgorithm || (config.contentAlgorithm && header.enc !== config.contentAlgorithm)) {
        throw raise(VERIFY_JWT_FAULTS, 'AlgorithmMismatch', `Algorithm in header (${header.alg}) did not match any algorithm specified in Configuration: policy(${policy.name})`);
      }
      const pem = keyText(exchange, config.privateKey?.value);
      if (!pem) throw raise(VERIFY_JWT_FAULTS, 'FailedToResolveVariable', `${policy.name}: the private key could not be resolved`);
      let key;
      try {
        key = await importKey(pem, config.keyAlgorithm, 'private');
      } catch {
        throw raise(VERIFY_JWT_FAULTS, 'KeyParsingFailed', `${policy.name}: the private key could not be read`);
      }
      try {
        ({ payload } = await jwtDecrypt(token, key, { keyManagementAlgorithms: [config.keyAlgorithm], ...(config.contentAlgorithm ? { contentEncryptionAlgorithms: [config.contentAlgorithm] } : {}) }));
      } catch {
        throw raise(VERIFY_JWT_FAULTS, 'InvalidToken', `Invalid token: policy(${policy.name})`);
      }
    } else {
      const accepted = config.algorithm!.split(/\s*,\s*/);
      if (!accepted.includes(header.alg)) {
        throw raise(VERIFY_JWT_FAULTS, 'AlgorithmMismatch', `Algorithm in header (${header.alg}) did not match any algorithm specified in Configuration: policy(${policy.name})`);
      }
      payload = await verifySignature(config, token, header.alg, header.kid, exchange, policy.name, http);
    }
    // Times, with the allowance for clock skew.
    const now = Math.floor(Date.now() / 1000);
    const allowance = durationSeconds(config.timeAllowance) ?? 0;
    setJwtVariables(exchange, policy.name, token, payload, header);
    if (typeof payload.exp === 'number' && payload.exp + allowance <= now) throw raise(VERIFY_JWT_FAULTS, 'TokenExpired', `The Token has expired: policy(${policy.name})`);
    if (typeof payload.nbf === 'number' && payload.nbf - allowance > now) throw raise(VERIFY_JWT_FAULTS, 'TokenNotYetValid', `The Token is not yet valid: policy(${policy.name})`);
    const expect = (value: z.infer<typeof ValueSchema> | undefined) => resolveValue(exchange, value);
    const subject = expect(config.subject);
    if (config.subject && subject !== payload.sub) throw raise(VERIFY_JWT_FAULTS, 'JwtSubjectMismatch', `Subject mismatch: policy(${policy.name})`);
    const issuer = expect(config.issuer);
    if (config.issuer && issuer !== payload.iss) throw raise(VERIFY_JWT_FAULTS, 'JwtIssuerMismatch', `Issuer mismatch: policy(${policy.name})`);
    const audience = expect(config.audience);
    const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud === undefined ? [] : [payload.aud];
    if (config.audience && (audience === undefined || !audiences.includes(audience))) throw raise(VERIFY_JWT_FAULTS, 'JwtAudienceMismatch', `Audience mismatch: policy(${policy.name})`);
    for (const claim of config.claims) {
      const wanted = claimValue(exchange, claim);
      const actual = payload[claim.name];
      const same = Array.isArray(wanted) ? Array.isArray(actual) && wanted.every((item) => actual.includes(item)) : JSON.stringify(actual) === JSON.stringify(wanted);
      if (!same) throw raise(VERIFY_JWT_FAULTS, 'InvalidClaim', `Invalid Claim: policy(${policy.name}), claim(${claim.name})`);
    }
    exchange.set(`jwt.${policy.name}.valid`, true);
  },
});

export const verifyJwtXml = /* @__PURE__ */ policyXml(verifyJwt, {
  fromXml: (root) => {
    const algorithms = root.child('Algorithms');
    for (const name of ['Type', 'IgnoreCriticalHeaders', 'IgnoreIssuedAt', 'MaxLifespan']) root.child(name)?.consume();
    return {
      algorithm: root.childText('Algorithm') || undefined,
      keyAlgorithm: algorithms?.childText('Key') || undefined,
      contentAlgorithm: algorithms?.childText('Content') || undefined,
      source: root.childText('Source') || undefined,
      secretKey: keyFromXml(root.child('SecretKey')),
      publicKey: publicKeyFromXml(root.child('PublicKey')),
      privateKey: keyFromXml(root.child('PrivateKey')),
      subject: valueFromXml(root.child('Subject')),
      issuer: valueFromXml(root.child('Issuer')),
      audience: valueFromXml(root.child('Audience')),
      claims: claimsFromXml(root.child('AdditionalClaims')),
      timeAllowance: root.childText('TimeAllowance') || undefined,
      ignoreUnresolvedVariables: root.child('IgnoreUnresolvedVariables')?.bool(),
    };
  },
  toXml: (config) => ({
    children: [
      optional('Algorithm', config.algorithm),
      config.keyAlgorithm ? el('Algorithms', {}, [el('Key', {}, config.keyAlgorithm), optional('Content', config.contentAlgorithm)]) : undefined,
      optional('Source', config.source),
      keyToXml('SecretKey', config.secretKey),
      publicKeyToXml(config.publicKey),
      keyToXml('PrivateKey', config.privateKey),
      valueToXml('Subject', config.subject),
      valueToXml('Issuer', config.issuer),
      valueToXml('Audience', config.audience),
      claimsToXml('AdditionalClaims', config.claims),
      optional('TimeAllowance', config.timeAllowance),
      el('IgnoreUnresolvedVariables', {}, config.ignoreUnresolvedVariables),
    ].filter((node) => node !== undefined),
  }),
});

async function verifySignature(
  config: Config,
  token: string,
  alg: string,
  kid: string | undefined,
  exchange: Parameters<typeof resolveValue>[0],
  policy: string,
  http: Parameters<typeof jwksFor>[1],
): Promise<JWTPayload> {
  const decode = (bytes: Uint8Array): JWTPayload => {
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as JWTPayload;
    } catch {
      throw raise(VERIFY_JWT_FAULTS, 'FailedToDecode', `Failed to Decode Token: policy(${policy})`);
    }
  };
  const failed = () => raise(VERIFY_JWT_FAULTS, 'InvalidSignature', `Signature is invalid: policy(${policy})`);
  if (alg.startsWith('HS')) {
    const secret = keyText(exchange, config.secretKey?.value);
    if (!secret) throw raise(VERIFY_JWT_FAULTS, 'FailedToResolveVariable', `${policy}: the secret key could not be resolved`);
    try {
      return decode((await compactVerify(token, secretBytes(secret, config.secretKey?.encoding ?? 'utf8'), { algorithms: [alg] })).payload);
    } catch {
      throw failed();
    }
  }
  const jwksUri = config.publicKey?.jwksUri ? render(exchange, config.publicKey.jwksUri) : undefined;
  if (jwksUri || config.publicKey?.jwksRef) {
    let set;
    try {
      if (jwksUri) set = await jwksFor(jwksUri, http);
      else set = createLocalJWKSet(JSON.parse(stringify(exchange.get(config.publicKey!.jwksRef!))) as { keys: JWK[] });
    } catch {
      throw raise(VERIFY_JWT_FAULTS, 'KeyParsingFailed', `${policy}: the JWKS could not be read`);
    }
    try {
      return decode((await compactVerify(token, set, { algorithms: [alg] })).payload);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY') {
        // A rotated key: read the JWKS once more before refusing.
        if (jwksUri) forgetJwks(jwksUri);
        throw raise(VERIFY_JWT_FAULTS, 'NoMatchingPublicKey', `No matching public key with kid ${kid ?? '(none)'}: policy(${policy})`);
      }
      throw failed();
    }
  }
  const pem = keyText(exchange, config.publicKey?.value) ?? keyText(exchange, config.publicKey?.certificate);
  if (!pem) throw raise(VERIFY_JWT_FAULTS, 'FailedToResolveVariable', `${policy}: the public key could not be resolved`);
  let key;
  try {
    key = await importKey(pem, alg, 'public');
  } catch {
    throw raise(VERIFY_JWT_FAULTS, 'KeyParsingFailed', `${policy}: the public key could not be read`);
  }
  try {
    return decode((await compactVerify(token, key, { algorithms: [alg] })).payload);
  } catch {
    throw failed();
  }
}
