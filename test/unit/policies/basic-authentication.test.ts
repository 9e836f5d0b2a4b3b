// BasicAuthentication: Encode writes `Basic base64(user:password)` into a
// variable; Decode splits such a header into user and password.
import { describe, expect, it } from 'vitest';
import { basicAuthentication } from '../../../shared/gateway/policies/basic-authentication.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

describe('BasicAuthentication schema', () => {
  it('needs AssignTo for Encode, user and password references always', () => {
    expect(basicAuthentication.schema.safeParse({ operation: 'Decode', user: { ref: 'u' }, password: { ref: 'p' } }).success).toBe(true);
    expect(basicAuthentication.schema.safeParse({ operation: 'Encode', user: { ref: 'u' }, password: { ref: 'p' } }).success).toBe(false);
    expect(basicAuthentication.schema.safeParse({ operation: 'Decode', user: { ref: 'u' } }).success).toBe(false);
  });
});

describe('BasicAuthentication XML', () => {
  it('reads both operations', () => {
    expect(
      xmlRoundTrip(basicAuthentication, '<Operation>Encode</Operation><IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables><User ref="u"/><Password ref="p"/><AssignTo createNew="true">request.header.Authorization</AssignTo>'),
    ).toMatchObject({ operation: 'Encode', assignTo: { variable: 'request.header.Authorization', createNew: true }, ignoreUnresolvedVariables: true });
    expect(xmlRoundTrip(basicAuthentication, '<Operation>Decode</Operation><User ref="u"/><Password ref="p"/><Source>request.header.X-Auth</Source>')).toMatchObject({
      operation: 'Decode',
      source: 'request.header.X-Auth',
    });
  });
});

describe('BasicAuthentication execute', () => {
  const encode = { operation: 'Encode', user: { ref: 'backend.user' }, password: { ref: 'backend.password' }, assignTo: { variable: 'request.header.Authorization' } };

  it('encodes user and password (UTF-8) into the target variable', async () => {
    const exchange = exchangeFor();
    exchange.set('backend.user', 'svc');
    exchange.set('backend.password', 'pä:ss');
    await runPolicy(basicAuthentication, encode, { exchange });
    expect(exchange.request.headers.get('authorization')).toBe(`Basic ${Buffer.from('svc:pä:ss').toString('base64')}`);
  });

  it('faults on an unresolved user unless told to ignore it', async () => {
    expect((await runPolicy(basicAuthentication, encode)).fault).toMatchObject({ status: 500, faultName: 'UnresolvedVariable' });
    expect((await runPolicy(basicAuthentication, { ...encode, ignoreUnresolvedVariables: true })).fault).toBeUndefined();
  });

  it('decodes the header into the user and password variables; a password may hold colons', async () => {
    const exchange = exchangeFor({ headers: { authorization: `Basic ${Buffer.from('ada:se:cret').toString('base64')}` } });
    await runPolicy(basicAuthentication, { operation: 'Decode', user: { ref: 'u' }, password: { ref: 'p' } }, { exchange });
    expect([exchange.get('u'), exchange.get('p')]).toEqual(['ada', 'se:cret']);
  });

  it('answers 401 with a Basic challenge for anything that is not Basic credentials', async () => {
    for (const header of ['Bearer x', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Basic %%%']) {
      const run = await runPolicy(basicAuthentication, { operation: 'Decode', user: { ref: 'u' }, password: { ref: 'p' } }, { exchange: exchangeFor({ headers: { authorization: header } }) });
      expect(run.fault, header).toMatchObject({ status: 401, faultName: 'InvalidBasicAuthenticationSource', headers: { 'WWW-Authenticate': 'Basic realm="api"' } });
    }
  });
});
