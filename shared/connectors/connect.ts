// Turns an instance payload (Open Connectors' `configuration` and
// `providerData`) into what an instance keeps: public configuration values and
// sealed vendor credentials. OAuth 2.0 codes are exchanged here; basic and API
// key elements only need their values checked.
import { HttpError, unprocessable, type FieldProblem } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import type { ResolvedElement } from './catalog.js';
import { elementFields, fieldPattern, type ElementDefinition, type OAuth2Authentication } from './element-schema.js';
import type { InstanceItem, VendorCredentials } from './instances.js';
import { exchangeCode, TokenEndpointError, type OAuthClient, type TokenSet } from './oauth.js';
import { connectOAuth1, type OAuth1ProviderData } from './oauth1-flow.js';
import { AmbiguousAuthorization, claimPendingPkceVerifier, claimPkceVerifier } from './oauth-state.js';

export interface Connection {
  configuration: Record<string, string>;
  credentials: VendorCredentials;
}

export interface PreviousConnection {
  configuration: Record<string, string>;
  credentials: VendorCredentials;
}

export interface ProviderData extends OAuth1ProviderData {
  code?: string;
  state?: string;
  codeVerifier?: string;
}

const MAX_VALUE = 4096;

/**
 * Values of the element's own configuration fields (subdomain, tenant ...):
 * given, else previous, else the default. Public ones stay readable; secret
 * ones go with the credentials.
 */
export function elementFieldValues(
  element: ElementDefinition,
  given: Record<string, string>,
  previous: PreviousConnection | undefined,
  problems: FieldProblem[],
  pathPrefix = 'configuration',
): { publicValues: Record<string, string>; secrets: Record<string, string> } {
  const publicValues: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const field of elementFields(element)) {
    const value = given[field.key] ?? (field.secret ? previous?.credentials.secrets?.[field.key] : previous?.configuration[field.key]) ?? field.defaultValue;
    if (value === undefined || value === '') {
      if (field.required) problems.push({ path: `${pathPrefix}.${field.key}`, message: `required (${field.name})` });
      continue;
    }
    const pattern = fieldPattern(element, field);
    if (value.length > MAX_VALUE || (pattern && !pattern(value))) {
      problems.push({ path: `${pathPrefix}.${field.key}`, message: `has an invalid format (${field.name})` });
      continue;
    }
    if (field.secret) secrets[field.key] = value;
    else publicValues[field.key] = value;
  }
  return { publicValues, secrets };
}

function fail(problems: FieldProblem[]): never {
  throw unprocessable(`Instance is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
}

/** What the instance keeps after a successful OAuth 2.0 code exchange. */
export function oauthConnection(
  publicValues: Record<string, string>,
  secrets: Record<string, string>,
  client: OAuthClient,
  callbackUrl: string,
  tokens: TokenSet,
): Connection {
  const configuration: Record<string, string> = {
    ...publicValues,
    'oauth.api.key': client.clientId,
    'oauth.callback.url': callbackUrl,
    ...(tokens.scope ? { 'oauth.scope': tokens.scope } : {}),
    ...tokens.captured,
  };
  const credentials: VendorCredentials = {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
    ...(tokens.expiresAt !== undefined ? { expiresAt: tokens.expiresAt } : {}),
    ...(tokens.scope ? { scope: tokens.scope } : {}),
    ...(Object.keys(secrets).length ? { secrets } : {}),
  };
  return { configuration, credentials };
}

/** The vendor refused the code, or could not be asked: a clear error, never the vendor's raw body. */
export function exchangeFailure(error: unknown): unknown {
  if (error instanceof TokenEndpointError) {
    // What the vendor said goes along as Open Connectors' providerMessage.
    const extra = { providerMessage: error.message };
    return error.permanent
      ? new HttpError(400, 'vendor_rejected_code', `The vendor refused the authorization code: ${error.message}`, extra)
      : new HttpError(502, 'vendor_token_error', `The vendor token endpoint failed: ${error.message}`, extra);
  }
  return error;
}

export async function exchangeForConnection(
  rt: Runtime,
  auth: OAuth2Authentication,
  publicValues: Record<string, string>,
  secrets: Record<string, string>,
  client: OAuthClient,
  exchange: { code: string; redirectUri: string; codeVerifier?: string },
): Promise<Connection> {
  const tokens = await exchangeCode(rt, auth, publicValues, client, exchange);
  return oauthConnection(publicValues, secrets, client, exchange.redirectUri, tokens);
}

/** Authenticates an instance from an Open Connectors payload (create or re-authenticate). */
export async function connect(
  rt: Runtime,
  org: string,
  element: ResolvedElement,
  input: { configuration: Record<string, string>; providerData?: ProviderData },
  previous?: PreviousConnection,
): Promise<Connection> {
  const definition = element.definition;
  const given = input.configuration;
  const problems: FieldProblem[] = [];
  const { publicValues, secrets } = elementFieldValues(definition, given, previous, problems);
  const auth = definition.authentication;

  if (auth.type === 'basic') {
    const username = given.username ?? previous?.credentials.username;
    const password = given.password ?? previous?.credentials.password;
    if (!username) problems.push({ path: 'configuration.username', message: 'required for basic authentication' });
    if (!password) problems.push({ path: 'configuration.password', message: 'required for basic authentication' });
    if (username?.includes(':')) problems.push({ path: 'configuration.username', message: 'must not contain ":"' });
    if (problems.length) fail(problems);
    return {
      configuration: { ...publicValues, username: username! },
      credentials: { username: username!, password: password!, ...(Object.keys(secrets).length ? { secrets } : {}) },
    };
  }

  if (auth.type === 'apiKey') {
    const apiKey = given[auth.configKey] ?? previous?.credentials.apiKey;
    if (!apiKey) problems.push({ path: `configuration.${auth.configKey}`, message: 'required: the vendor API key' });
    else if (!/^[\x21-\x7e]+$/.test(apiKey) || apiKey.length > MAX_VALUE) {
      problems.push({ path: `configuration.${auth.configKey}`, message: 'must be printable ASCII without spaces' });
    }
    if (problems.length) fail(problems);
    return { configuration: publicValues, credentials: { apiKey: apiKey!, ...(Object.keys(secrets).length ? { secrets } : {}) } };
  }

  if (definition.protocolType !== 'http' || (auth.type === 'custom' && !Object.keys(auth.headers).length && !Object.keys(auth.query).length)) {
    const why = definition.protocolType !== 'http' ? `speaks ${definition.protocolType}` : 'uses custom authentication without header or query templates';
    throw new HttpError(501, 'authentication_not_supported', `Element ${definition.key} ${why}, which Tollgate cannot call`);
  }

  if (auth.type === 'custom') {
    // The templates' values are the element's own entries: required ones checked above, secret ones sealed.
    if (problems.length) fail(problems);
    return { configuration: publicValues, credentials: Object.keys(secrets).length ? { secrets } : {} };
  }

  if (auth.type === 'oauth1') {
    return connectOAuth1(rt, org, element, given, input.providerData, publicValues, secrets, previous?.credentials, problems);
  }

  const clientId = given['oauth.api.key'] ?? previous?.credentials.clientId;
  const clientSecret = given['oauth.api.secret'] ?? previous?.credentials.clientSecret;
  const callbackUrl = given['oauth.callback.url'] ?? previous?.configuration['oauth.callback.url'];
  const code = input.providerData?.code;
  if (!clientId) problems.push({ path: 'configuration.oauth.api.key', message: 'required: the OAuth client id' });
  if (!clientSecret) problems.push({ path: 'configuration.oauth.api.secret', message: 'required: the OAuth client secret' });
  if (!callbackUrl) problems.push({ path: 'configuration.oauth.callback.url', message: 'required: the redirect URI used to obtain the code' });
  if (!code) problems.push({ path: 'providerData.code', message: 'required: the authorization code from the vendor' });
  if (problems.length) fail(problems);

  let codeVerifier = input.providerData?.codeVerifier;
  if (!codeVerifier && input.providerData?.state) {
    codeVerifier = await claimPkceVerifier(rt, org, definition.key, input.providerData.state);
  } else if (!codeVerifier && auth.pkce) {
    // Seed 001's payload has the code alone: the one pending authorization of this client and callback URL.
    try {
      codeVerifier = await claimPendingPkceVerifier(rt, org, definition.key, clientId!, callbackUrl!);
    } catch (error) {
      if (!(error instanceof AmbiguousAuthorization)) throw error;
      fail([{ path: 'providerData.state', message: `${error.message}: pass the state given to GET /elements/{key}/oauth/url` }]);
    }
  }
  if (auth.pkce && !codeVerifier) {
    fail([
      {
        path: 'providerData.state',
        message: 'this element uses PKCE and no authorization of this client and callback URL is pending: start with GET /elements/{key}/oauth/url (valid for 10 minutes, once), or pass providerData.codeVerifier',
      },
    ]);
  }
  try {
    return await exchangeForConnection(rt, auth, publicValues, secrets, { clientId: clientId!, clientSecret: clientSecret! }, {
      code: code!,
      redirectUri: callbackUrl!,
      ...(codeVerifier ? { codeVerifier } : {}),
    });
  } catch (error) {
    throw exchangeFailure(error);
  }
}

/** The previous connection of an instance, for re-authentication that changes only some values. */
export function previousConnection(item: InstanceItem, credentials: VendorCredentials): PreviousConnection {
  return { configuration: item.configuration, credentials };
}
