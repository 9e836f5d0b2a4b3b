// DecodeJWT: reads a JWT's header and claims into `jwt.{policy}.*` without
// checking its signature (as Apigee's DecodeJWT; VerifyJWT checks). Of an
// encrypted JWT (five parts) only the header can be read, as in Apigee.
import * as z from 'zod';
import { decodeJwt as decodeClaims, decodeProtectedHeader, type JWTPayload } from 'jose';
import { stringify } from '../language/template.js';
import { defineFaults, raise } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { setJwtVariables } from './jwt-settings.js';
import { optional } from './xml-model.js';

export const DECODE_JWT_FAULTS = defineFaults({
  FailedToDecode: ['steps.jwt.FailedToDecode', 401],
  FailedToResolveVariable: ['steps.jwt.FailedToResolveVariable', 401],
});

const schema = z.lazy(() => z.object({ source: z.string().optional() }));

export const decodeJwt = definePolicy({
  type: 'DecodeJWT',
  schema,
  faults: DECODE_JWT_FAULTS,
  execute: ({ config, exchange, policy }) => {
    const raw = config.source ? exchange.get(config.source) : /^Bearer\s+(\S+)$/i.exec(stringify(exchange.get('request.header.authorization')))?.[1];
    const token = raw === undefined || raw === null ? '' : stringify(raw).trim();
    if (!token) throw raise(DECODE_JWT_FAULTS, 'FailedToResolveVariable', `Failed to Resolve Variable : policy(${policy.name}) variable(${config.source ?? 'request.header.authorization'})`);
    let payload: JWTPayload;
    try {
      if (token.split('.').length === 5) {
        decodeProtectedHeader(token);
        payload = {};
      } else payload = decodeClaims(token);
    } catch {
      throw raise(DECODE_JWT_FAULTS, 'FailedToDecode', `Failed to Decode Token: policy(${policy.name})`);
    }
    setJwtVariables(exchange, policy.name, token, payload);
  },
});

export const decodeJwtXml = /* @__PURE__ */ policyXml(decodeJwt, {
  fromXml: (root) => ({ source: root.childText('Source') || undefined }),
  toXml: (config) => ({ children: [optional('Source', config.source)].filter((node) => node !== undefined) }),
});
