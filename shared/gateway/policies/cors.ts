// CORS: answers preflight requests itself (no target call) and adds the
// Access-Control-* headers to every response, error responses included.
import * as z from 'zod';
import { el } from './xml-model.js';
import { definePolicy, policyXml } from './define-policy.js';
import { render } from './common.js';

const schema = z.lazy(() => z.object({
  /** Comma-separated origins, `*`, or a template such as `{request.header.origin}`. */
  allowOrigins: z.string().default('*'),
  allowMethods: z.string().default('GET, PUT, POST, DELETE, PATCH, OPTIONS'),
  allowHeaders: z.string().default('origin, x-requested-with, accept, content-type, authorization'),
  exposeHeaders: z.string().default('*'),
  maxAge: z.number().int().min(-1).default(1800),
  allowCredentials: z.boolean().default(false),
  generatePreflightResponse: z.boolean().default(true),
  ignoreUnresolvedVariables: z.boolean().default(true),
}));

export const cors = definePolicy({
  type: 'CORS',
  schema,
  execute: ({ config, exchange }) => {
    const origin = exchange.request.headers.get('origin');
    if (!origin) return; // not a CORS request
    const allowed = render(exchange, config.allowOrigins)
      .split(',')
      .map((value) => value.trim())
      .filter(Boolean);
    const match = allowed.includes('*') ? (config.allowCredentials ? origin : '*') : allowed.find((value) => value === origin);
    if (!match) return; // origin not allowed: no CORS headers, the browser blocks the response
    const headers: Record<string, string> = { 'Access-Control-Allow-Origin': match };
    if (match !== '*') headers.Vary = 'Origin';
    if (config.allowCredentials) headers['Access-Control-Allow-Credentials'] = 'true';

    const isPreflight = exchange.request.verb === 'OPTIONS' && exchange.request.headers.has('access-control-request-method');
    if (isPreflight) {
      headers['Access-Control-Allow-Methods'] = render(exchange, config.allowMethods);
      headers['Access-Control-Allow-Headers'] = render(exchange, config.allowHeaders);
      if (config.maxAge >= 0) headers['Access-Control-Max-Age'] = String(config.maxAge);
    } else if (config.exposeHeaders) {
      headers['Access-Control-Expose-Headers'] = render(exchange, config.exposeHeaders);
    }
    exchange.responseHooks.push((response) => {
      for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    });
    exchange.set('request.cors.preflight', isPreflight);
    if (isPreflight && config.generatePreflightResponse) {
      exchange.response.status = 200;
      exchange.response.body = Buffer.alloc(0);
      exchange.hasResponse = true;
      exchange.skipToResponse = true;
    }
  },
});

export const corsXml = /* @__PURE__ */ policyXml(cors, {
  fromXml: (root) => ({
    allowOrigins: root.childText('AllowOrigins') || undefined,
    allowMethods: root.childText('AllowMethods') || undefined,
    allowHeaders: root.childText('AllowHeaders') || undefined,
    exposeHeaders: root.childText('ExposeHeaders'),
    maxAge: root.child('MaxAge')?.int(),
    allowCredentials: root.child('AllowCredentials')?.bool(),
    generatePreflightResponse: root.child('GeneratePreflightResponse')?.bool(),
    ignoreUnresolvedVariables: root.child('IgnoreUnresolvedVariables')?.bool(),
  }),
  toXml: (config) => ({
    children: [
      el('AllowOrigins', {}, config.allowOrigins),
      el('AllowMethods', {}, config.allowMethods),
      el('AllowHeaders', {}, config.allowHeaders),
      el('ExposeHeaders', {}, config.exposeHeaders),
      el('MaxAge', {}, config.maxAge),
      el('AllowCredentials', {}, config.allowCredentials),
      el('GeneratePreflightResponse', {}, config.generatePreflightResponse),
      el('IgnoreUnresolvedVariables', {}, config.ignoreUnresolvedVariables),
    ],
  }),
});
