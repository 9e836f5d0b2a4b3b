// The key scheme: every kind in an organization's partition has its own
// sort-key prefix, no prefix is the beginning of another (a prefix query of
// one kind must never read another kind), and the builders write exactly the
// keys docs/store.md lists, which stored data depends on.
import { describe, expect, it } from 'vitest';
import * as keys from '../../shared/store/keys.js';

const { SORT_PREFIX } = keys;

describe('store key scheme', () => {
  it('gives every item kind a prefix that no other kind starts with', () => {
    const prefixes = Object.entries(SORT_PREFIX);
    for (const [kind, prefix] of prefixes) {
      for (const [other, otherPrefix] of prefixes) {
        if (kind !== other) expect(otherPrefix.startsWith(prefix), `${other} (${otherPrefix}) starts with ${kind} (${prefix})`).toBe(false);
      }
    }
  });

  it('writes the documented keys', () => {
    expect(keys.productKeys('acme', 'gold')).toEqual({ pk: 'ORG#acme', sk: 'PRODUCT#gold' });
    expect(keys.developerKeys('acme', 'Ada@Example.com')).toEqual({ pk: 'ORG#acme', sk: 'DEVELOPER#ada@example.com' });
    expect(keys.developerAppKeys('acme', 'd1', 'postman')).toEqual({ pk: 'ORG#acme', sk: 'DEVAPP#d1#postman' });
    expect(keys.credentialKeys('acme', 'a1', 'fp')).toEqual({ pk: 'ORG#acme', sk: 'CRED#a1#fp' });
    expect(keys.apiKeyMarkerKeys('fp', 'acme')).toEqual({ pk: 'APIKEY#fp', sk: 'ORG#acme' });
    expect(keys.legacyApiKeyMarkerKeys('fp')).toEqual({ pk: 'APIKEY#fp', sk: '#APIKEY' });
    expect(keys.developerAccountKeys('acme', 'Ada@Example.com')).toEqual({ pk: 'ORG#acme', sk: 'DEVACCOUNT#ada@example.com' });
    expect(keys.developerSessionKeys('h1')).toEqual({ pk: 'DEVSESSION#h1', sk: 'SESSION' });
    expect(keys.developerInvitationKeys('h2')).toEqual({ pk: 'DEVINVITE#h2', sk: 'INVITATION' });
    expect(keys.revocationKeys('acme', 'token', 'j1')).toEqual({ pk: 'ORG#acme', sk: 'REVOKED#token#j1' });
    expect(keys.counterKeys('acme', 'instance')).toEqual({ pk: 'ORG#acme', sk: '#COUNTER#instance' });
    expect(keys.instanceKeys('acme', 42)).toEqual({ pk: 'ORG#acme', sk: 'INSTANCE#0000000042' });
    expect(keys.instanceRefreshLeaseKeys('acme', 42)).toEqual({ pk: 'ORG#acme', sk: 'INSTANCE#0000000042#LEASE' });
    expect(keys.pkceVerifierKeys('acme', 'hubspot', 'fp')).toEqual({ pk: 'ORG#acme', sk: 'OAUTHPKCE#hubspot#fp' });
    expect(keys.revisionKeys('acme', 'orders', 3)).toEqual({ pk: 'ORG#acme', sk: 'APIREV#orders#000003' });
    expect(keys.deploymentKeys('acme', 'prod', 'orders')).toEqual({ pk: 'ORG#acme', sk: 'DEPLOY#prod#orders' });
    expect(keys.routeKeys('prod', '/orders')).toEqual({ pk: 'RUNTIME#prod', sk: 'BASEPATH#/orders' });
    expect(keys.routeKeys('prod', '/orders', 'acme:api-host')).toEqual({ pk: 'RUNTIME#prod', sk: 'VHOST#acme:api-host#BASEPATH#/orders' });
    expect(keys.hostAliasKeys('prod', 'api.acme.example')).toEqual({ pk: 'RUNTIME#prod', sk: 'HOST#api.acme.example' });
    expect(keys.virtualHostKeys('acme', 'prod', 'api-host')).toEqual({ pk: 'ORG#acme', sk: 'VHOST#prod#api-host' });
    expect(keys.accountKeys('acme', 7)).toEqual({ pk: 'ORG#acme', sk: 'ACCOUNT#0000000007' });
    expect(keys.accountUserKeys('acme', 8)).toEqual({ pk: 'ORG#acme', sk: 'ACCTUSER#0000000008' });
    expect(keys.userSecretLookup('fp')).toBe('USERSECRET#fp');
    expect(keys.userKeys('Ada@Example.com')).toEqual({ pk: 'USER#ada@example.com', sk: '#USER' });
    expect(keys.userRoleKeys('ada@example.com', 'acme')).toEqual({ pk: 'USER#ada@example.com', sk: 'ROLE#acme' });
    expect(keys.managementTokenKeys('h')).toEqual({ pk: 'MTOKEN#h', sk: '#MTOKEN' });
    expect(keys.kvmEntryKeys('acme', 'env:prod', 'cfg', 'k')).toEqual({ pk: 'ORG#acme', sk: 'KVMENTRY#env:prod#cfg#k' });
    expect(keys.quotaCounterKeys('acme', 'prod', 'orders', 'q#client#1hour#0')).toEqual({ pk: 'ORG#acme', sk: 'QUOTA#prod#orders#q#client#1hour#0' });
  });

  it('builds each listing prefix from the kind it lists', () => {
    expect(keys.developerAppKeys('acme', 'd1', 'x').sk.startsWith(keys.developerAppsPrefix('d1'))).toBe(true);
    expect(keys.credentialKeys('acme', 'a1', 'fp').sk.startsWith(keys.appCredentialsPrefix('a1'))).toBe(true);
    expect(keys.deploymentKeys('acme', 'prod', 'x').sk.startsWith(keys.deploymentsPrefix('prod'))).toBe(true);
    expect(keys.deploymentKeys('acme', 'prod', 'x').sk.startsWith(keys.deploymentsPrefix())).toBe(true);
    expect(keys.kvmKeys('acme', 'org', 'm').sk.startsWith(keys.kvmsPrefix('org'))).toBe(true);
    expect(keys.virtualHostKeys('acme', 'prod', 'h').sk.startsWith(keys.virtualHostsPrefix('prod'))).toBe(true);
    // Routes of the shared host are listed by ROUTE_PREFIX; an organization's own virtual host's are not among them.
    expect(keys.routeKeys('prod', '/x', 'acme:h').sk.startsWith(keys.ROUTE_PREFIX)).toBe(false);
    expect(keys.kvmEntryKeys('acme', 'org', 'm', 'k').sk.startsWith(keys.kvmEntriesPrefix('org', 'm'))).toBe(true);
    // A map's entries are not listed with another map whose name starts the same.
    expect(keys.kvmEntryKeys('acme', 'org', 'map2', 'k').sk.startsWith(keys.kvmEntriesPrefix('org', 'map'))).toBe(false);
  });
});
