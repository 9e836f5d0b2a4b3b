// CORS: preflights answered by the policy itself, Access-Control-* headers on
// every response of an allowed origin, nothing for any other origin.
import { describe, expect, it } from 'vitest';
import { Message } from '../../../shared/gateway/engine/message.js';
import { cors } from '../../../shared/gateway/policies/cors.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

/** The response hooks the policy left, applied as the engine applies them at the end. */
function finalResponse(exchange: ReturnType<typeof exchangeFor>): Message {
  for (const hook of exchange.responseHooks) hook(exchange.response);
  return exchange.response;
}

describe('CORS schema', () => {
  it("defaults to Apigee's: any origin, common methods and headers, 1800 s", () => {
    expect(cors.schema.parse({})).toMatchObject({ allowOrigins: '*', maxAge: 1800, allowCredentials: false, generatePreflightResponse: true });
    expect(cors.schema.safeParse({ maxAge: -2 }).success).toBe(false);
  });
});

describe('CORS XML', () => {
  it('reads every setting', () => {
    expect(
      xmlRoundTrip(
        cors,
        '<AllowOrigins>{request.header.origin}</AllowOrigins><AllowMethods>GET</AllowMethods><AllowHeaders>x</AllowHeaders><ExposeHeaders>y</ExposeHeaders><MaxAge>-1</MaxAge><AllowCredentials>true</AllowCredentials><GeneratePreflightResponse>false</GeneratePreflightResponse><IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables>',
      ),
    ).toMatchObject({ allowOrigins: '{request.header.origin}', allowMethods: 'GET', maxAge: -1, allowCredentials: true, generatePreflightResponse: false });
  });
});

describe('CORS execute', () => {
  it('answers a preflight itself and skips the rest of the request flow', async () => {
    const exchange = exchangeFor({ verb: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' } });
    await runPolicy(cors, { allowOrigins: 'https://app.example, https://other.example', allowMethods: 'GET, PUT', maxAge: 600 }, { exchange });
    expect(exchange.skipToResponse).toBe(true);
    const response = finalResponse(exchange);
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers.list().map(([name, values]) => [name.toLowerCase(), values[0]]))).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'GET, PUT',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
  });

  it('adds the headers to whatever response an ordinary request gets, errors included', async () => {
    const exchange = exchangeFor({ headers: { origin: 'https://app.example' } });
    await runPolicy(cors, { exposeHeaders: 'x-request-id' }, { exchange });
    expect(exchange.skipToResponse).toBe(false);
    exchange.response = new Message({ status: 503 });
    const response = finalResponse(exchange);
    expect([response.headers.get('access-control-allow-origin'), response.headers.get('access-control-expose-headers')]).toEqual(['*', 'x-request-id']);
  });

  it('echoes the origin when credentials are allowed, and adds nothing for an origin not listed', async () => {
    const credentialed = exchangeFor({ headers: { origin: 'https://app.example' } });
    await runPolicy(cors, { allowCredentials: true }, { exchange: credentialed });
    expect(finalResponse(credentialed).headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(finalResponse(credentialed).headers.get('access-control-allow-credentials')).toBe('true');

    const stranger = exchangeFor({ headers: { origin: 'https://evil.example' } });
    await runPolicy(cors, { allowOrigins: 'https://app.example' }, { exchange: stranger });
    expect(stranger.responseHooks).toHaveLength(0);
  });
});
