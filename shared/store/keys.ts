// The single table's key scheme, in one place (docs/store.md describes each
// item). Everything an organization owns lives in its partition `ORG#{org}`,
// where a sort-key prefix names one item kind and a listing reads one prefix;
// the few records outside an organization's partition are found by something
// other than the organization (a key fingerprint, an environment, the
// deployment). Owners build their keys here and nowhere else, so two kinds
// can never come to share a prefix unnoticed (test/unit/store-keys.test.ts).
import type { Keys } from './table.js';

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** The partition of everything an organization owns. */
export const orgPartition = (org: string): string => `ORG#${org}`;
const ofOrg = (org: string, sk: string): Keys => ({ pk: orgPartition(org), sk });
/** An organization's own record. */
export const orgKeys = (org: string): Keys => ofOrg(org, '#ORG');

/** Sort-key prefixes of the item kinds in an organization's partition. */
export const SORT_PREFIX = {
  organization: '#ORG',
  counter: '#COUNTER#',
  product: 'PRODUCT#',
  developer: 'DEVELOPER#',
  /** A developer's portal account (password hash), keyed like the developer. */
  developerAccount: 'DEVACCOUNT#',
  app: 'APP#',
  developerApp: 'DEVAPP#',
  credential: 'CRED#',
  revocation: 'REVOKED#',
  element: 'ELEMENT#',
  hub: 'HUB#',
  /** Instance records, and under each its refresh lease (`INSTANCE#{id}#LEASE`) and events (`INSTANCE#{id}#EVENT#`): listings filter by type. */
  instance: 'INSTANCE#',
  /** Accounts of the connectors API (Open Connectors' organization > accounts > users). */
  account: 'ACCOUNT#',
  /** A management user's connectors identity in the organization: account, user secret. */
  accountUser: 'ACCTUSER#',
  oauthState: 'OAUTHSTATE#',
  pkceVerifier: 'OAUTHPKCE#',
  /** OAuth 1.0a request tokens waiting for the resource owner's authorization. */
  oauth1RequestToken: 'OAUTH1TOKEN#',
  /** Common resources (object definitions) of the organization and of single instances. */
  objectDefinition: 'OBJDEF#',
  /** Transformations of common resources onto an element's objects: organization and instance level. */
  transformation: 'TRANSFORM#',
  api: 'API#',
  revision: 'APIREV#',
  deployment: 'DEPLOY#',
  virtualHost: 'VHOST#',
  kvm: 'KVM#',
  kvmEntry: 'KVMENTRY#',
  provider: 'PROVIDER#',
  quota: 'QUOTA#',
  /** Connector event notifications (one per batch of changed objects), their deliveries, poll state and de-duplication marks. */
  event: 'EVENT#',
  eventDelivery: 'EVTDELIVERY#',
  eventPoll: 'EVTPOLL#',
  eventSeen: 'EVTSEEN#',
  /** When a vendor subscription that ends by itself (Microsoft Graph) is to be renewed. */
  eventRenewal: 'EVTRENEW#',
  usage: 'USAGE#',
  debugSession: 'DEBUGSESSION#',
  debugTransaction: 'DEBUGTX#',
  cache: 'CACHE#',
  sharedFlow: 'SHAREDFLOW#',
  sharedFlowRevision: 'SFREV#',
  sharedFlowDeployment: 'SFDEPLOY#',
  flowHook: 'FLOWHOOK#',
  /** Formulas (workflows of the connectors API), their instances, executions and executed steps. */
  formula: 'FORMULA#',
  formulaInstance: 'FORMULAINST#',
  formulaExecution: 'FORMULAEXEC#',
  formulaStep: 'FORMULASTEP#',
  /** An event a formula instance has started an execution for: events arrive at least once. */
  formulaEvent: 'FORMULAEVENT#',
} as const;

const P = SORT_PREFIX;

// Consumers: API products, developers, apps and their credentials (shared/consumers/).
export const productKeys = (org: string, name: string) => ofOrg(org, `${P.product}${name}`);
/** Developers are keyed by lower-case email; gsi1 finds them by id. */
export const developerKeys = (org: string, email: string) => ofOrg(org, `${P.developer}${email.toLowerCase()}`);
export const developerIdLookup = (developerId: string) => `DEVELOPERID#${developerId}`;
export const appKeys = (org: string, appId: string) => ofOrg(org, `${P.app}${appId}`);
/** One app name per developer: the marker points to the app id. */
export const developerAppsPrefix = (developerId: string) => `${P.developerApp}${developerId}#`;
export const developerAppKeys = (org: string, developerId: string, name: string) => ofOrg(org, `${developerAppsPrefix(developerId)}${name}`);
export const appCredentialsPrefix = (appId: string) => `${P.credential}${appId}#`;
export const credentialKeys = (org: string, appId: string, keyFingerprint: string) => ofOrg(org, `${appCredentialsPrefix(appId)}${keyFingerprint}`);
/** Outside every organization: a consumer key is unique across all of them, and found without knowing one. */
/** Every organization that uses a consumer key has its marker in the key's partition: keys are unique per organization. */
export const apiKeyPartition = (keyFingerprint: string) => `APIKEY#${keyFingerprint}`;
export const apiKeyMarkerKeys = (keyFingerprint: string, org: string): Keys => ({ pk: apiKeyPartition(keyFingerprint), sk: `ORG#${org}` });
/** The marker of a key created while keys were unique across organizations (read and removed, never written). */
export const legacyApiKeyMarkerKeys = (keyFingerprint: string): Keys => ({ pk: apiKeyPartition(keyFingerprint), sk: '#APIKEY' });

// Developer portal accounts (shared/portal/); sessions and invitations are found by their token's hash alone.
export const developerAccountKeys = (org: string, email: string) => ofOrg(org, `${P.developerAccount}${email.toLowerCase()}`);
export const developerSessionKeys = (tokenHash: string): Keys => ({ pk: `DEVSESSION#${tokenHash}`, sk: 'SESSION' });
export const developerInvitationKeys = (tokenHash: string): Keys => ({ pk: `DEVINVITE#${tokenHash}`, sk: 'INVITATION' });

// Revoked tokens and clients (shared/credentials/), all indexed under one gsi1 partition.
export const revocationKeys = (org: string, kind: string, subject: string) => ofOrg(org, `${P.revocation}${kind}#${subject}`);
export const REVOCATIONS_INDEX_PARTITION = 'REVOCATIONS';

// The token service's signing keys (shared/oauth/): one lease for the whole deployment.
export const SIGNING_KEYS_LEASE: Keys = { pk: '#DEPLOYMENT', sk: 'LOCK#jwt-keys' };

// Connectors: custom elements, instances, hosted OAuth (shared/connectors/).
export const elementKeys = (org: string, key: string) => ofOrg(org, `${P.element}${key}`);
/** An organization's own hubs (the built-in ones are code). */
export const hubKeys = (org: string, key: string) => ofOrg(org, `${P.hub}${key}`);
export const counterKeys = (org: string, name: 'element' | 'instance' | 'account' | 'user' | 'formula' | 'formulaInstance' | 'formulaExecution') => ofOrg(org, `${P.counter}${name}`);
export const instanceKeys = (org: string, id: number) => ofOrg(org, `${P.instance}${pad(id, 10)}`);
export const instanceRefreshLeaseKeys = (org: string, id: number) => ofOrg(org, `${P.instance}${pad(id, 10)}#LEASE`);
/** What happened to an instance (disabled after failed refreshes ...), under the instance, in time order. */
export const instanceEventsPrefix = (id: number) => `${P.instance}${pad(id, 10)}#EVENT#`;
export const instanceEventKeys = (org: string, id: number, at: string, nonce: string) => ofOrg(org, `${instanceEventsPrefix(id)}${at}#${nonce}`);
/** gsi1 partition of an instance: the keyed fingerprint of its token. */
export const instanceTokenLookup = (tokenFingerprint: string) => `INSTTOKEN#${tokenFingerprint}`;
export const oauthStateKeys = (org: string, fingerprint: string) => ofOrg(org, `${P.oauthState}${fingerprint}`);
export const pkceVerifierKeys = (org: string, elementKey: string, fingerprint: string) => ofOrg(org, `${P.pkceVerifier}${elementKey}#${fingerprint}`);
export const oauth1RequestTokenKeys = (org: string, elementKey: string, fingerprint: string) => ofOrg(org, `${P.oauth1RequestToken}${elementKey}#${fingerprint}`);

/** `org` for the organization's level, `account:{id}` for one account's, `instance:{id}` for one instance's. */
export type MappingLevel = 'org' | `account:${number}` | `instance:${number}`;
export const objectDefinitionsPrefix = (level: MappingLevel) => `${P.objectDefinition}${level}#`;
export const objectDefinitionKeys = (org: string, level: MappingLevel, name: string) => ofOrg(org, `${objectDefinitionsPrefix(level)}${name}`);
/** Every transformation of one level (of every element, for the organization and accounts). */
export const levelTransformationsPrefix = (level: MappingLevel) => `${P.transformation}${level}#`;
/** Organization- and account-level transformations are per element, instance-level ones per instance. */
export const transformationsPrefix = (level: MappingLevel, elementKey: string) => `${P.transformation}${level.startsWith('instance:') ? level : `${level}#${elementKey}`}#`;
export const transformationKeys = (org: string, level: MappingLevel, elementKey: string, name: string) => ofOrg(org, `${transformationsPrefix(level, elementKey)}${name}`);

// Formulas (shared/formulas/): definitions, instances, executions and their steps, all in the organization's partition.
export const formulaKeys = (org: string, id: number) => ofOrg(org, `${P.formula}${pad(id, 10)}`);
export const formulaInstanceKeys = (org: string, id: number) => ofOrg(org, `${P.formulaInstance}${pad(id, 10)}`);
export const formulaExecutionKeys = (org: string, id: number) => ofOrg(org, `${P.formulaExecution}${pad(id, 12)}`);
/** gsi1 partition of a formula instance's executions, newest last by id. */
export const formulaInstanceExecutionsLookup = (org: string, instanceId: number) => `FORMULAEXECS#${org}#${pad(instanceId, 10)}`;
export const formulaExecutionIndexKey = (id: number) => pad(id, 12);
/** The steps an execution ran, in the order it ran them. */
export const formulaStepsPrefix = (executionId: number) => `${P.formulaStep}${pad(executionId, 12)}#`;
export const formulaStepKeys = (org: string, executionId: number, sequence: number) => ofOrg(org, `${formulaStepsPrefix(executionId)}${pad(sequence, 6)}`);
export const formulaEventKeys = (org: string, instanceId: number, eventId: string) => ofOrg(org, `${P.formulaEvent}${pad(instanceId, 10)}#${eventId}`);
/** gsi1 partition of every unfinished execution across organizations: what a restart resumes. */
export const FORMULA_RUNNING_PARTITION = 'FORMULARUNNING';
/** gsi1 partition of every active formula instance with a scheduled trigger, across organizations; gsi1sk is its next run. */
export const FORMULA_SCHEDULE_PARTITION = 'FORMULASCHEDULE';

// Connector events (shared/connectors/events/). Event ids sort by time, so a prefix listing is newest-last.
export const eventKeys = (org: string, eventId: string) => ofOrg(org, `${P.event}${eventId}`);
/** gsi1 partition of an instance's events, gsi1sk the event id. */
export const instanceEventsLookup = (org: string, instanceId: number) => `INSTEVENTS#${org}#${pad(instanceId, 10)}`;
export const eventDeliveryKeys = (org: string, eventId: string, target: string) => ofOrg(org, `${P.eventDelivery}${eventId}#${target}`);
/** gsi1 partition of every pending delivery across organizations; gsi1sk starts with the next attempt time. */
export const DELIVERIES_DUE_PARTITION = 'EVENTDELIVERIES';
export const eventPollKeys = (org: string, instanceId: number) => ofOrg(org, `${P.eventPoll}${pad(instanceId, 10)}`);
/** gsi1 partition of every polled instance across organizations; gsi1sk starts with the next poll time. */
export const POLLS_DUE_PARTITION = 'EVENTPOLLS';
export const eventSeenKeys = (org: string, instanceId: number, fingerprint: string) => ofOrg(org, `${P.eventSeen}${pad(instanceId, 10)}#${fingerprint}`);
export const eventRenewalKeys = (org: string, instanceId: number) => ofOrg(org, `${P.eventRenewal}${pad(instanceId, 10)}`);
/** gsi1 partition of every vendor subscription to renew across organizations; gsi1sk starts with the renewal time. */
export const RENEWALS_DUE_PARTITION = 'EVENTRENEWALS';
/** Outside every organization: a webhook receiver's random id, found from the receiving URL alone. */
export const webhookReceiverKeys = (receiverId: string): Keys => ({ pk: `EVENTHOOK#${receiverId}`, sk: '#EVENTHOOK' });
// Accounts and their users on the connectors API (shared/auth/accounts.ts).
export const accountKeys = (org: string, id: number) => ofOrg(org, `${P.account}${pad(id, 10)}`);
export const accountUserKeys = (org: string, id: number) => ofOrg(org, `${P.accountUser}${pad(id, 10)}`);
/** gsi1 partition of an account user: the keyed fingerprint of its user secret. */
export const userSecretLookup = (secretFingerprint: string) => `USERSECRET#${secretFingerprint}`;

// The proxy gateway: proxies, revisions, deployments, KVMs, providers, quota counters (shared/gateway/stores/).
export const apiProxyKeys = (org: string, api: string) => ofOrg(org, `${P.api}${api}`);
export const revisionKeys = (org: string, api: string, revision: number) => ofOrg(org, `${P.revision}${api}#${pad(revision, 6)}`);
export const deploymentsPrefix = (env?: string) => (env === undefined ? P.deployment : `${P.deployment}${env}#`);
export const deploymentKeys = (org: string, env: string, api: string) => ofOrg(org, `${deploymentsPrefix(env)}${api}`);
/** An environment's routing table, across every organization: one base path belongs to one deployment. */
export const routingPartition = (env: string) => `RUNTIME#${env}`;
/** Routing key of the shared runtime host (virtual hosts `default` and `secure`). */
export const SHARED_HOST = '*';
/** Base paths on the shared host; an organization's own virtual host's are under `VHOST#{org}:{name}#BASEPATH#`. */
export const ROUTE_PREFIX = 'BASEPATH#';
export const routeKeys = (env: string, basePath: string, host: string = SHARED_HOST): Keys => ({
  pk: routingPartition(env),
  sk: host === SHARED_HOST ? `${ROUTE_PREFIX}${basePath}` : `VHOST#${host}#${ROUTE_PREFIX}${basePath}`,
});
/** A host alias of an organization's virtual host, in the environment's routing partition. */
export const hostAliasKeys = (env: string, alias: string): Keys => ({ pk: routingPartition(env), sk: `HOST#${alias}` });
/** An organization's own virtual hosts of an environment. */
export const virtualHostsPrefix = (env: string) => `${P.virtualHost}${env}#`;
export const virtualHostKeys = (org: string, env: string, name: string) => ofOrg(org, `${virtualHostsPrefix(env)}${name}`);
/** `scope` is `org`, `env:{env}` or `api:{api}`. */
export const kvmsPrefix = (scope: string) => `${P.kvm}${scope}#`;
export const kvmKeys = (org: string, scope: string, map: string) => ofOrg(org, `${kvmsPrefix(scope)}${map}`);
export const kvmEntriesPrefix = (scope: string, map: string) => `${P.kvmEntry}${scope}#${map}#`;
export const kvmEntryKeys = (org: string, scope: string, map: string, key: string) => ofOrg(org, `${kvmEntriesPrefix(scope, map)}${key}`);
export const providerKeys = (org: string, name: string) => ofOrg(org, `${P.provider}${name}`);
/** A quota window's counter; `counter` names policy, identifier and window. */
export const quotaCounterKeys = (org: string, env: string, api: string, counter: string) => ofOrg(org, `${P.quota}${env}#${api}#${counter}`);
export const sharedFlowKeys = (org: string, name: string) => ofOrg(org, `${P.sharedFlow}${name}`);
export const sharedFlowRevisionKeys = (org: string, name: string, revision: number) => ofOrg(org, `${P.sharedFlowRevision}${name}#${pad(revision, 6)}`);
export const sharedFlowDeploymentsPrefix = (env?: string) => (env === undefined ? P.sharedFlowDeployment : `${P.sharedFlowDeployment}${env}#`);
export const sharedFlowDeploymentKeys = (org: string, env: string, name: string) => ofOrg(org, `${sharedFlowDeploymentsPrefix(env)}${name}`);
export const flowHooksPrefix = (env: string) => `${P.flowHook}${env}#`;
export const flowHookKeys = (org: string, env: string, hook: string) => ofOrg(org, `${flowHooksPrefix(env)}${hook}`);
/** Entries of an environment's named cache (ResponseCache, PopulateCache ...), each with an `expiresAt`. */
export const cacheEntriesPrefix = (env: string, cache: string) => `${P.cache}${env}#${cache}#`;
export const cacheEntryKeys = (org: string, env: string, cache: string, key: string) => ofOrg(org, `${cacheEntriesPrefix(env, cache)}${key}`);

// Analytics and trace (shared/analytics/).
/** Rollup granularities and the period each partition holds: minutes by day, hours by month, days by year. */
export type RollupGranularity = 'minute' | 'hour' | 'day';
const GRANULARITY_CODE: Record<RollupGranularity, string> = { minute: 'm', hour: 'h', day: 'd' };
/**
 * One partition per organization, environment, granularity and period
 * (`2024-05-17` for minutes, `2024-05` for hours, `2024` for days): a stats
 * query reads a time range of one partition, and writes spread over periods.
 */
export const rollupPartition = (org: string, env: string, granularity: RollupGranularity, period: string) =>
  `STATS#${org}#${env}#${GRANULARITY_CODE[granularity]}#${period}`;
/** A rollup row: the bucket's start (ISO minute) and the fingerprint of its dimension values. */
export const rollupKeys = (org: string, env: string, granularity: RollupGranularity, period: string, bucket: string, tuple: string): Keys => ({
  pk: rollupPartition(org, env, granularity, period),
  sk: `${bucket}#${tuple}`,
});
/** A connector call's usage record, newest last by time; gsi1 finds it by its id. */
export const usagePrefix = (time?: string) => `${P.usage}${time ?? ''}`;
export const usageKeys = (org: string, time: string, id: string) => ofOrg(org, `${P.usage}${time}#${id}`);
export const usageIdLookup = (org: string, id: string) => `USAGEID#${org}#${id}`;
/** A debug session of a deployed revision. */
export const debugSessionsPrefix = (env: string, api: string, revision: number) => `${P.debugSession}${env}#${api}#${pad(revision, 6)}#`;
export const debugSessionKeys = (org: string, env: string, api: string, revision: number, session: string) =>
  ofOrg(org, `${debugSessionsPrefix(env, api, revision)}${session}`);
/** Captured transactions of a session, in capture order. */
export const debugTransactionsPrefix = (env: string, api: string, revision: number, session: string) =>
  `${P.debugTransaction}${env}#${api}#${pad(revision, 6)}#${session}#`;
export const debugTransactionKeys = (org: string, env: string, api: string, revision: number, session: string, id: string) =>
  ofOrg(org, `${debugTransactionsPrefix(env, api, revision, session)}${id}`);
/** Every active session of an environment, across organizations: what each runtime container reads to know what to capture. */
export const activeDebugSessionsPartition = (env: string) => `DEBUG#${env}`;
export const activeDebugSessionKeys = (env: string, org: string, api: string, revision: number, session: string): Keys => ({
  pk: activeDebugSessionsPartition(env),
  sk: `${org}#${api}#${pad(revision, 6)}#${session}`,
});

// Management users (shared/auth/): global, with one role item per organization (gsi1: the organization's members).
export const userPartition = (email: string) => `USER#${email.toLowerCase()}`;
export const userKeys = (email: string): Keys => ({ pk: userPartition(email), sk: '#USER' });
export const userRoleKeys = (email: string, org: string): Keys => ({ pk: userPartition(email), sk: `ROLE#${org}` });
export const orgMembersLookup = (org: string) => `USERROLES#${org}`;
/** A management token, by the SHA-256 of the token. */
export const managementTokenKeys = (tokenHash: string): Keys => ({ pk: `MTOKEN#${tokenHash}`, sk: '#MTOKEN' });
/** A management login's refresh token, by the SHA-256 of the token. */
export const managementRefreshKeys = (tokenHash: string): Keys => ({ pk: `MREFRESH#${tokenHash}`, sk: '#MREFRESH' });
