// OAuthV2: VerifyAccessToken checks a bearer token with the token service's
// verifier (signature against cached keys, expiry, cached revocation list),
// that it carries one of the listed scopes, and that one of its products
// covers this request (proxy, environment, resources, operations); GenerateAccessToken
// issues a client-credentials token, so a token proxy like SAP's works. Errors
// of GenerateAccessToken answer in RFC 6749 form, which standard OAuth clients
// understand; FaultRules can still reshape them by fault.name.
import * as z from 'zod';
import { basicToken, readClientSecretBasic, type ClientCredentials } from '../../http/basic-auth.js';
import { isCredentialError, type CredentialFailure } from '../../credentials/errors.js';
import { el, optional } from './xml-model.js';
import type { PolicyExchange } from '../engine/policy.js';
import type { Fault } from '../engine/faults.js';
import { HeaderMap, Message } from '../engine/message.js';
import { definePolicy, policyXml } from './define-policy.js';
import { stringify } from '../language/template.js';
import { defineFaults, raise } from './common.js';
import { setConsumerVariables } from './verify-api-key.js';
import type { PolicyServices } from './services.js';

const schema = z.lazy(() => z.object({
  operation: z.enum(['VerifyAccessToken', 'GenerateAccessToken']),
  /** Variable holding the token; default: the `Authorization: Bearer` header. */
  accessToken: z.object({ ref: z.string().min(1) }).optional(),
  /** Space-separated scopes; the token must carry at least one of them (VerifyAccessToken), as in Apigee. */
  scope: z.string().optional(),
  /** Variable holding the grant type (GenerateAccessToken); default: form, then query parameter. */
  grantType: z.string().optional(),
  supportedGrantTypes: z.array(z.string()).default(['client_credentials']),
  generateResponse: z.boolean().default(true),
}));

const BEARER_CHALLENGE = 'Bearer realm="api"';

export const OAUTH_V2_FAULTS = defineFaults({
  InvalidAccessToken: ['oauth.v2.InvalidAccessToken', 401],
  invalid_access_token: ['keymanagement.service.invalid_access_token', 401],
  access_token_expired: ['keymanagement.service.access_token_expired', 401],
  access_token_not_approved: ['keymanagement.service.access_token_not_approved', 401],
  InsufficientScope: ['steps.oauth.v2.InsufficientScope', 403],
  InvalidAPICallAsNoApiProductMatchFound: ['keymanagement.service.InvalidAPICallAsNoApiProductMatchFound', 401],
  'invalid_client-app_not_approved': ['keymanagement.service.invalid_client-app_not_approved', 401],
  DeveloperStatusNotActive: ['keymanagement.service.DeveloperStatusNotActive', 401],
  invalid_request: ['steps.oauth.v2.invalid_request', 400],
  unsupported_grant_type: ['steps.oauth.v2.unsupported_grant_type', 400],
  invalid_client: ['steps.oauth.v2.invalid_client', 401],
  invalid_scope: ['steps.oauth.v2.invalid_scope', 400],
});

type VerifyFault = keyof typeof OAUTH_V2_FAULTS;

const VERIFY_REFUSALS: Partial<Record<CredentialFailure, [VerifyFault, string]>> = {
  invalid_token: ['invalid_access_token', 'Invalid Access Token'],
  token_revoked: ['invalid_access_token', 'Invalid Access Token'],
  key_revoked: ['invalid_access_token', 'Invalid Access Token'],
  token_expired: ['access_token_expired', 'Access Token expired'],
  app_not_approved: ['invalid_client-app_not_approved', 'The app is not approved'],
  developer_inactive: ['DeveloperStatusNotActive', 'Developer is inactive'],
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
function oauthFault(error: 'invalid_request' | 'unsupported_grant_type' | 'invalid_client' | 'invalid_scope', description: string): Fault {
  const fault = raise(OAUTH_V2_FAULTS, error, description);
  const headers = new HeaderMap({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  if (fault.status === 401) headers.set('WWW-Authenticate', 'Basic realm="api"');
  fault.response = new Message({ status: fault.status, headers, body: Buffer.from(JSON.stringify({ error, error_description: description })) });
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

async function verify(config: Config, exchange: PolicyExchange, { consumers, tokens }: Services) {
  const token = bearerToken(exchange, config.accessToken?.ref);
  if (!token) throw raise(OAUTH_V2_FAULTS, 'InvalidAccessToken', 'Invalid access token', { 'WWW-Authenticate': BEARER_CHALLENGE });
  let claims;
  try {
    claims = await tokens.verify(token);
  } catch (error) {
    if (!isCredentialError(error)) throw error;
    const [name, message] = VERIFY_REFUSALS[error.reason] ?? VERIFY_REFUSALS.invalid_token!;
    throw raise(OAUTH_V2_FAULTS, name, message, { 'WWW-Authenticate': `${BEARER_CHALLENGE}, error="invalid_token"` });
  }
  // Apigee: the token must carry at least one of the listed scopes.
  const wanted = (config.scope ?? '').split(/\s+/).filter(Boolean);
  const granted = new Set(claims.scope.split(/\s+/).filter(Boolean));
  if (wanted.length > 0 && !wanted.some((scope) => granted.has(scope))) {
    throw raise(OAUTH_V2_FAULTS, 'InsufficientScope', `Required scope(s) : ${wanted.join(' ')}`, { 'WWW-Authenticate': `${BEARER_CHALLENGE}, error="insufficient_scope"` });
  }
  const product = await consumers.productFor(claims.api_products, { pathSuffix: exchange.pathSuffix, verb: exchange.request.verb });
  if (!product) {
    throw raise(OAUTH_V2_FAULTS, 'InvalidAPICallAsNoApiProductMatchFound', 'Invalid API call as no apiproduct match found', {
      'WWW-Authenticate': `${BEARER_CHALLENGE}, error="invalid_token"`,
    });
  }
  // The variables Apigee documents for VerifyAccessToken.
  exchange.set('access_token', token);
  exchange.set('scope', claims.scope);
  exchange.set('organization_name', claims.organization);
  exchange.set('grant_type', 'client_credentials');
  exchange.set('token_type', 'BearerToken');
  exchange.set('status', 'approved');
  exchange.set('issued_at', claims.iat * 1000);
  exchange.set('expires_in', Math.max(0, claims.exp - Math.floor(Date.now() / 1000)));
  setConsumerVariables(exchange, '', {
    clientId: claims.client_id,
    appName: claims.app_name ?? '',
    ...(claims.developer_email === undefined ? {} : { developerEmail: claims.developer_email }),
    product,
  });
}

async function generate(config: Config, exchange: PolicyExchange, { tokens }: Services, policyName: string) {
  const form = exchange.request.formParams();
  const grantType = config.grantType
    ? stringify(exchange.get(config.grantType) ?? '')
    : form.get('grant_type') ?? exchange.request.query.get('grant_type') ?? '';
  if (!grantType) throw oauthFault('invalid_request', 'The grant_type parameter is required');
  if (!config.supportedGrantTypes.includes(grantType) || grantType !== 'client_credentials') {
    throw oauthFault('unsupported_grant_type', `Grant type ${grantType} is not supported`);
  }
  const candidates = clientCredentials(exchange);
  if (candidates.length === 0) throw oauthFault('invalid_client', 'Client authentication is required (HTTP Basic or client_id and client_secret)');
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
      if (failure.reason === 'invalid_scope') throw oauthFault('invalid_scope', failure.message);
      throw oauthFault('invalid_client', 'Client authentication failed');
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
  faults: OAUTH_V2_FAULTS,
  services: ['consumers', 'tokens'],
  execute: async ({ config, exchange, policy, services }) => {
    if (config.operation === 'VerifyAccessToken') await verify(config, exchange, services);
    else await generate(config, exchange, services, policy.name);
  },
});

export const oauthV2Xml = /* @__PURE__ */ policyXml(oauthV2, {
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
    // Custom token attributes would have to travel in the token: refused rather than dropped.
    const attributes = root.child('Attributes');
    if (attributes && attributes.children.length > 0 && name === 'GenerateAccessToken') {
      attributes.report('custom token attributes are not supported', { kind: 'unsupported' });
    }
    attributes?.consume();
    // Settings that change nothing here: lifetimes are the token service's (one per organization), tokens are
    // always stored (signed JWTs with a revocation list), errors are always RFC 6749 JSON, client credentials
    // always come from Basic or the form, and the inputs of grants other than client_credentials (which
    // answer unsupported_grant_type) are never read.
    for (const harmless of [
      'ExpiresIn', 'RefreshTokenExpiresIn', 'Tokens', 'RFCCompliantRequestResponse', 'GenerateErrorResponse', 'StoreToken',
      'ReuseRefreshToken', 'ClientId', 'RedirectUri', 'ResponseType', 'Code', 'State', 'UserName', 'PassWord', 'AppEndUser', 'RefreshToken',
    ]) {
      root.child(harmless)?.consume();
    }
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
});
