// BasicAuthentication: Encode builds `Basic base64(user:password)` into a
// variable (usually request.header.Authorization); Decode splits such a header
// into user and password variables.
import * as z from 'zod';
import { basicAuthorization, decodeBasic, basicToken } from '../../http/basic-auth.js';
import { el } from './xml-model.js';
import { definePolicy, policyXml } from './define-policy.js';
import { stringify } from '../language/template.js';
import { defineFaults, raise } from './common.js';

export const BASIC_AUTHENTICATION_FAULTS = defineFaults({
  UnresolvedVariable: ['steps.basicauthentication.UnresolvedVariable', 500],
  InvalidBasicAuthenticationSource: ['steps.basicauthentication.InvalidBasicAuthenticationSource', 401],
});

const schema = z.lazy(() => z.object({
  operation: z.enum(['Encode', 'Decode']),
  /** Encode: where the user name comes from; Decode: where it goes. */
  user: z.object({ ref: z.string().min(1) }),
  password: z.object({ ref: z.string().min(1) }),
  /** Encode: the variable that receives the header value. */
  assignTo: z.object({ variable: z.string().min(1), createNew: z.boolean().default(false) }).optional(),
  /** Decode: the variable holding the header value. */
  source: z.string().default('request.header.Authorization'),
  ignoreUnresolvedVariables: z.boolean().default(false),
}));

export const basicAuthentication = definePolicy({
  type: 'BasicAuthentication',
  faults: BASIC_AUTHENTICATION_FAULTS,
  schema: schema.refine((c) => c.operation === 'Decode' || c.assignTo, { message: 'assignTo is required for Encode' }),
  execute: ({ config, exchange, policy }) => {
    if (config.operation === 'Encode') {
      const user = exchange.get(config.user.ref);
      const password = exchange.get(config.password.ref);
      if (user === undefined || user === null || password === undefined || password === null) {
        if (config.ignoreUnresolvedVariables) return;
        throw raise(BASIC_AUTHENTICATION_FAULTS, 'UnresolvedVariable', `${policy.name}: user or password could not be resolved`);
      }
      exchange.set(config.assignTo!.variable, basicAuthorization(stringify(user), stringify(password)));
      return;
    }
    const raw = exchange.get(config.source);
    const header = raw === undefined || raw === null ? '' : stringify(raw);
    const token = basicToken(header);
    const credentials = token === undefined ? undefined : decodeBasic(token);
    if (!credentials) {
      if (config.ignoreUnresolvedVariables) return;
      throw raise(
        BASIC_AUTHENTICATION_FAULTS,
        'InvalidBasicAuthenticationSource',
        `${policy.name}: the source is not a valid Basic authorization header`,
        { 'WWW-Authenticate': 'Basic realm="api"' },
      );
    }
    exchange.set(config.user.ref, credentials.user);
    exchange.set(config.password.ref, credentials.password);
  },
});

export const basicAuthenticationXml = /* @__PURE__ */ policyXml(basicAuthentication, {
  fromXml: (root) => {
    const ref = (name: string) => {
      const element = root.child(name);
      if (!element) return undefined;
      const value = element.attr('ref')?.trim();
      if (!value) element.report('the ref attribute is required', { attribute: 'ref' });
      return { ref: value };
    };
    const assignTo = root.child('AssignTo');
    return {
      operation: root.child('Operation')?.oneOf(['Encode', 'Decode'] as const),
      user: ref('User'),
      password: ref('Password'),
      assignTo: assignTo ? { variable: assignTo.text(), createNew: assignTo.bool('createNew') } : undefined,
      source: root.childText('Source') || undefined,
      ignoreUnresolvedVariables: root.child('IgnoreUnresolvedVariables')?.bool(),
    };
  },
  toXml: (config) => ({
    children: [
      el('Operation', {}, config.operation),
      el('IgnoreUnresolvedVariables', {}, config.ignoreUnresolvedVariables),
      el('User', { ref: config.user.ref }),
      el('Password', { ref: config.password.ref }),
      config.assignTo && el('AssignTo', { createNew: config.assignTo.createNew }, config.assignTo.variable),
      el('Source', {}, config.source),
    ].filter((node) => node !== undefined),
  }),
});
