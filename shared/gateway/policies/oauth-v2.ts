// OAuthV2: VerifyAccessToken checks a bearer token with the token service's
// verifier (signature against cached keys, expiry, cached revocation list,
// scopes, and that one of its products covers this proxy); GenerateAccessToken
// issues a client-credentials token, so a token proxy like SAP's works. Errors
// of GenerateAccessToken answer in RFC 6749 form, which standard OAuth clients
// understand; FaultRules can still reshape them by fault.name.
import * as z from 'zod';
import { basicToken, readClientSecretBasic, type ClientCredentials } from '../../http/basic-auth.js';
import { isCredentialError, type CredentialFailure } from '../../credentials/errors.js';
import { el, optional } from './xml-model.js';
import type { PolicyExchange } from '../engine/policy.js';
import { Fault } from '../engine/faults.js';
import { HeaderMap, Message } from '../engine/message.js';
import { definePolicy } from './define-policy.js';
import { stringify } from '../language/template.js';
import { policyFault } from './common.js';
import { setConsumerVariables } from './verify-api-key.js';
import type { PolicyServices } from './services.js';

const schema = z.object({
  operation: z.enum(['VerifyAccessToken', 'GenerateAccessToken']),
  /** Variable holding the token; default: the `Authorization: Bearer` header. */
  accessToken: z.object({ ref: z.string().min(1) }).optional(),
  /** Space-separated scopes the token must all carry (VerifyAccessToken). */
  scope: z.string().optional(),
  /** Variable holding the grant type (GenerateAccessToken); default: form, then query parameter. */
  grantType: z.string().optional(),
  supportedGrantTypes: z.array(z.string()).default(['client_credentials']),
  generateResponse: z.boolean().default(true),
});

const BEARER_CHALLENGE = 'Bearer realm="api"';

const VERIFY_FAULTS: Partial<Record<CredentialFailure, [string, string, number, string]>> = {
  invalid_token: ['invalid_access_token', 'keymanagement.service.invalid_access_token', 401, 'Invalid Access Token'],
  token_revoked: ['invalid_access_token', 'keymanagement.service.invalid_access_token', 401, 'Invalid Access Token'],
  token_expired: ['access_token_expired', 'keymanagement.service.access_token_expired', 401, 'Access Token expired'],
  insufficient_scope: ['InsufficientScope', 'steps.oauth.v2.InsufficientScope', 403, 'Required scope(s) : '],
  app_not_approved: ['app_not_approved', 'keymanagement.service.invalid_client-app_not_approved', 401, 'The app is not approved'],
  developer_inactive: ['DeveloperStatusNotActive', 'keymanagement.service.DeveloperStatusNotActive', 401, 'Developer is inactive'],
  key_revoked: ['invalid_access_token', 'keymanagement.service.invalid_access_token', 401, 'Invalid Access Token'],
};

function bearerToken(exchange: PolicyExchange, ref: string | undefined): string | undefined {
  if (ref) {
    const value = exchange.get(ref);
    return value === undefined || value === null || value === '' ? undefined : stringify(value);
  }
  const header = exchange.request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  return match?.[1];
}

/** An RFC 6749 section 5.2 error as the fault's response. */
function oauthFault(status: number, error: string, description: string): Fault {
  const headers = new HeaderMap({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  if (status === 401) headers.set('WWW-Authenticate', 'Basic realm="api"');
  const fault = new Fault(error, `steps.oauth.v2.${error}`, status, description);
  fault.response = new Message({ status, headers, body: Buffer.from(JSON.stringify({ error, error_description: description })) });
  return fault;
}

/** Client credentials from Basic (form-encoded per RFC 6749 2.3.1, raw accepted too) or the form body. */
function clientCredentials(exchange: PolicyExchange): ClientCredentials[] {
  const header = exchange.request.headers.get('authorization') ?? '';
  const form = exchange.request.formParams();
  const token = basicToken(header);
  if (token !== undefined) return readClientSecretBasic(token) ?? [];
  const clientId = form.get('client_id');
  const clientSecret = form.get('client_secret');
  return clientId && clientSecret ? [{ clientId, clientSecret }] : [];
}

type Config = z.infer<typeof schema>;
type Services = Pick<PolicyServices, 'consumers' | 'tokens'>;

async function verify(config: Config, exchange: PolicyExchange, { consumers, tokens }: Services, policyName: string) {
  const token = bearerToken(exchange, config.accessToken?.ref);
  if (!token) {
    throw policyFault('InvalidAccessToken', 'steps.oauth.v2.InvalidAccessToken', 401, 'Invalid access token', { 'WWW-Authenticate': BEARER_CHALLENGE });
  }
  const requiredScopes = (config.scope ?? '').split(/\s+/).filter(Boolean);
  let claims;
  try {
    claims = await tokens.verify(token, requiredScopes);
  } catch (error) {
    if (!isCredentialError(error)) throw error;
    const [name, code, status, message] = VERIFY_FAULTS[error.reason] ?? VERIFY_FAULTS.invalid_token!;
    const text = error.reason === 'insufficient_scope' ? `${message}${requiredScopes.join(' ')}` : message;
    const challenge = error.reason === 'insufficient_scope' ? `${BEARER_CHALLENGE}, error="insufficient_scope"` : `${BEARER_CHALLENGE}, error="invalid_token"`;
    throw policyFault(name, code, status, text, { 'WWW-Authenticate': challenge });
  }
  const product = await consumers.productFor(claims.api_products);
  if (!product) {
    throw policyFault('apiresource_doesnot_exist', 'keymanagement.service.apiresource_doesnot_exist', 401, 'Invalid API call as no apiproduct match found', {
      'WWW-Authenticate': `${BEARER_CHALLENGE}, error="invalid_token"`,
    });
  }
  exchange.set('access_token', token);
  exchange.set('scope', claims.scope);
  exchange.set(`oauthv2accesstoken.${policyName}.scope`, claims.scope);
  setConsumerVariables(exchange, '', {
    clientId: claims.client_id,
    appName: claims.app_name ?? '',
    developerEmail: claims.developer_email,
    product,
  });
}

async function generate(config: Config, exchange: PolicyExchange, { tokens }: Services, policyName: string) {
  const form = exchange.request.formParams();
  const grantType = config.grantType
    ? stringify(exchange.get(config.grantType) ?? '')
    : form.get('grant_type') ?? exchange.request.query.get('grant_type') ?? '';
  if (!grantType) throw oauthFault(400, 'invalid_request', 'The grant_type parameter is required');
  if (!config.supportedGrantTypes.includes(grantType) || grantType !== 'client_credentials') {
    throw oauthFault(400, 'unsupported_grant_type', `Grant type ${grantType} is not supported`);
  }
  const candidates = clientCredentials(exchange);
  if (candidates.length === 0) throw oauthFault(401, 'invalid_client', 'Client authentication is required (HTTP Basic or client_id and client_secret)');
  const scope = form.get('scope') ?? exchange.request.query.get('scope') ?? undefined;
  let issued;
  let failure: unknown;
  for (const candidate of candidates) {
    try {
      issued = await tokens.issue({ ...candidate, scope });
      break;
    } catch (error) {
      failure = error;
      if (!(isCredentialError(error) && error.reason === 'invalid_client')) break;
    }
  }
  if (!issued) {
    if (isCredentialError(failure)) {
      if (failure.reason === 'invalid_scope') throw oauthFault(400, 'invalid_scope', failure.message);
      throw oauthFault(401, 'invalid_client', 'Client authentication failed');
    }
    throw failure;
  }
  const prefix = `oauthv2accesstoken.${policyName}`;
  exchange.set(`${prefix}.access_token`, issued.access_token);
  exchange.set(`${prefix}.expires_in`, issued.expires_in);
  exchange.set(`${prefix}.scope`, issued.scope);
  exchange.set('client_id', issued.claims.client_id);
  if (!config.generateResponse) return;
  const body = {
    access_token: issued.access_token,
    token_type: issued.token_type,
    expires_in: issued.expires_in,
    scope: issued.scope,
    // Apigee's informational fields, for clients written against it.
    issued_at: String(issued.claims.iat * 1000),
    client_id: issued.claims.client_id,
    application_name: issued.claims.app_name,
    api_product_list: `[${issued.claims.api_products.join(', ')}]`,
    organization_name: issued.claims.organization,
    status: 'approved',
  };
  exchange.response = new Message({
    status: 200,
    headers: new HeaderMap({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' }),
    body: Buffer.from(JSON.stringify(body)),
  });
  exchange.hasResponse = true;
  exchange.skipToResponse = true;
}

export const oauthV2 = definePolicy({
  type: 'OAuthV2',
  schema,
  xml: {
    fromXml: (root) => {
      const operation = root.child('Operation');
      const name = operation?.text();
      if (operation && name !== 'VerifyAccessToken' && name !== 'GenerateAccessToken') {
        operation.report(`operation ${name} is not supported (VerifyAccessToken and GenerateAccessToken are)`, { kind: 'unsupported' });
      }
      const prefix = root.child('AccessTokenPrefix');
      if (prefix && prefix.text() !== 'Bearer') prefix.report('only the Bearer prefix is supported', { kind: 'unsupported' });
      const external = root.child('ExternalAuthorization');
      if (external?.bool()) external.report('external authorization is not supported', { kind: 'unsupported' });
      // Token lifetimes are the token service's settings (one per organization), not per policy.
      root.child('ExpiresIn')?.consume();
      root.child('RefreshTokenExpiresIn')?.consume();
      const accessToken = root.child('AccessToken');
      const tokenVariable = accessToken?.attr('ref') || accessToken?.text();
      const grantTypes = root.child('SupportedGrantTypes')?.all('GrantType').map((grant) => grant.text());
      return {
        operation: name,
        accessToken: tokenVariable ? { ref: tokenVariable } : undefined,
        scope: root.childText('Scope') || undefined,
        grantType: root.childText('GrantType') || undefined,
        supportedGrantTypes: grantTypes?.length ? grantTypes : undefined,
        generateResponse: root.child('GenerateResponse')?.bool('enabled'),
      };
    },
    toXml: (config) => ({
      children: [
        el('Operation', {}, config.operation),
        config.accessToken && el('AccessToken', {}, config.accessToken.ref),
        optional('Scope', config.scope),
        optional('GrantType', config.grantType),
        config.operation === 'GenerateAccessToken' ? el('SupportedGrantTypes', {}, config.supportedGrantTypes.map((grant) => el('GrantType', {}, grant))) : undefined,
        config.operation === 'GenerateAccessToken' ? el('GenerateResponse', { enabled: config.generateResponse }) : undefined,
      ].filter((node) => node !== undefined),
    }),
  },
  services: ['consumers', 'tokens'],
  execute: async ({ config, exchange, policy, services }) => {
    if (config.operation === 'VerifyAccessToken') await verify(config, exchange, services, policy.name);
    else await generate(config, exchange, services, policy.name);
  },
});
