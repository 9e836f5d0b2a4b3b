// What an instance's event settings set in motion, kept in step with every
// create, update and delete: the webhook receiver (a random id in the URL,
// found outside the organization's partition), the subscription at the
// vendor where the element's scheme has an API for it (created with a secret
// Tollgate generates or the vendor returns, sealed with the instance; removed
// when events are turned off or the instance is deleted; renewed before it
// ends where the vendor ends it by itself), and the poll schedule.
import { randomSecret } from '../../crypto/random.js';
import { HttpError, unprocessable } from '../../http/errors.js';
import { logger } from '../../log.js';
import type { Runtime } from '../../runtime.js';
import { eventRenewalKeys, instanceKeys, RENEWALS_DUE_PARTITION, webhookReceiverKeys } from '../../store/keys.js';
import type { StoredItem } from '../../store/table.js';
import { findElement, type ResolvedElement } from '../catalog.js';
import { forgetInstance, getInstance, MASK, openCredentials, sealCredentials, type InstanceItem, type VendorCredentials } from '../instances.js';
import { callVendorApi } from '../resource-proxy.js';
import { instanceBaseUrl } from '../vendor-call.js';
import { removePollState, schedulePolls } from './poller.js';
import { EVENT_KEYS, eventSettings, type EventSettings } from './settings.js';
import { dueBy, dueKey } from './store.js';
import { WEBHOOK_SCHEME_REGISTRY } from './webhooks/index.js';
import type { SubscriptionContext, WebhookScheme } from './webhooks/scheme.js';

export const EVENTS_PATH = '/elements/api-v2/events';

export function receiverUrl(rt: Runtime, elementKey: string, receiverId: string): string {
  return `${rt.config.issuer}${EVENTS_PATH}/${elementKey}/${receiverId}`;
}

export function webhookScheme(element: ResolvedElement): WebhookScheme | undefined {
  const scheme = element.definition.events?.webhook?.scheme;
  return scheme ? WEBHOOK_SCHEME_REGISTRY[scheme] : undefined;
}

/** The key that checks the vendor's signatures, by the scheme's preference. */
export function verificationSecret(scheme: WebhookScheme, settings: EventSettings, credentials: VendorCredentials): string | undefined {
  for (const source of scheme.secrets) {
    const secret = source === 'vendorSecret' ? settings.vendorSecret : credentials.clientSecret;
    if (secret) return secret;
  }
  return undefined;
}

/** Refuses webhook settings whose signatures nothing could check. */
export function requireVerifiable(element: ResolvedElement, settings: EventSettings, credentials: VendorCredentials): void {
  if (!settings.enabled || settings.type !== 'webhook') return;
  const scheme = webhookScheme(element);
  if (!scheme) throw unprocessable(`Element ${element.definition.key} declares no webhook signature scheme`, [{ path: `configuration.${EVENT_KEYS.type}`, message: 'webhooks need the element\'s events.webhook.scheme' }]);
  if (!scheme.subscription && !verificationSecret(scheme, settings, credentials)) {
    throw unprocessable(`Webhook events of ${element.definition.key} need the vendor's signing secret`, [
      { path: `configuration.${EVENT_KEYS.vendorSecret}`, message: `required: the ${scheme.name} webhook signing secret that signs what the vendor sends` },
    ]);
  }
}

function subscriptionContext(rt: Runtime, element: ResolvedElement, instance: InstanceItem, secret: string): SubscriptionContext {
  const webhook = element.definition.events?.webhook;
  return {
    receiverUrl: receiverUrl(rt, element.definition.key, instance.eventReceiverId!),
    secret,
    subscribe: webhook?.subscribe ?? [],
    ...(webhook?.resource ? { resource: webhook.resource } : {}),
    now: rt.clock.now(),
    async call(request) {
      const url = new URL(instanceBaseUrl(element, instance));
      url.pathname = `${url.pathname.replace(/\/+$/, '')}${request.path}`;
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (request.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(request.json);
      } else if (request.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        const form = new URLSearchParams();
        for (const [name, value] of Object.entries(request.form)) for (const item of [value].flat()) form.append(name, item);
        body = form.toString();
      }
      const response = await callVendorApi(rt, element, instance, { method: request.method, url, headers, ...(body !== undefined ? { body } : {}) });
      let parsed: unknown;
      try {
        parsed = response.body.length ? JSON.parse(response.body.toString('utf8')) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed };
    },
  };
}

async function store(rt: Runtime, item: InstanceItem, change: (current: InstanceItem, envelope: Awaited<ReturnType<Runtime['dataKey']>>) => Promise<InstanceItem> | InstanceItem): Promise<InstanceItem> {
  const envelope = await rt.dataKey();
  const updated = await rt.table.modify<InstanceItem>(instanceKeys(item.organization, item.id), (current) => change(current, envelope));
  forgetInstance(rt, item.organization, item.id);
  return updated;
}

async function unsubscribe(rt: Runtime, element: ResolvedElement | undefined, item: InstanceItem): Promise<void> {
  const subscription = item.eventSubscription;
  const scheme = element ? webhookScheme(element) : undefined;
  if (subscription?.expiresAt) await rt.table.delete(eventRenewalKeys(item.organization, item.id));
  if (!subscription || !element || !scheme?.subscription) return;
  try {
    await scheme.subscription.remove(subscriptionContext(rt, element, item, ''), subscription.id);
    logger.info('webhook subscription removed', { organization: item.organization, instanceId: item.id, scheme: scheme.name });
  } catch (error) {
    // The instance goes either way; the vendor's leftover subscription only ever reaches a receiver that refuses it.
    logger.warn('webhook subscription could not be removed', { organization: item.organization, instanceId: item.id, scheme: scheme.name, reason: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Brings receiver, vendor subscription and poll schedule in line with the
 * instance's settings after it was created or changed. A vendor that refuses
 * the subscription is a 502 naming what it said.
 */
export async function reconcileEvents(rt: Runtime, element: ResolvedElement, item: InstanceItem): Promise<InstanceItem> {
  let current = item;
  let credentials = await openCredentials(rt, current);
  let settings = eventSettings(current.configuration, credentials.secrets, element.definition);
  const webhooks = settings.enabled && settings.type === 'webhook';
  const scheme = webhookScheme(element);

  if (webhooks && !current.eventReceiverId) {
    const receiverId = randomSecret(18);
    await rt.table.put({ ...webhookReceiverKeys(receiverId), type: 'eventReceiver', organization: current.organization, instanceId: current.id, elementKey: current.elementKey });
    current = await store(rt, current, (latest) => ({ ...latest, eventReceiverId: receiverId }));
  }
  if (webhooks && scheme?.subscription && !current.eventSubscription) {
    const secret = settings.vendorSecret ?? randomSecret(32);
    let created;
    try {
      created = await scheme.subscription.create(subscriptionContext(rt, element, current, secret));
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(502, 'vendor_subscription_failed', error instanceof Error ? error.message : 'The vendor refused the webhook subscription');
    }
    const vendorSecret = created.secret ?? secret;
    current = await store(rt, current, async (latest, envelope) => {
      const latestCredentials = await openCredentials(rt, latest);
      const next: VendorCredentials = { ...latestCredentials, secrets: { ...latestCredentials.secrets, [EVENT_KEYS.vendorSecret]: vendorSecret } };
      return {
        ...latest,
        configuration: { ...latest.configuration, [EVENT_KEYS.vendorSecret]: MASK },
        sealedCredentials: sealCredentials(envelope, latest.organization, latest.id, next),
        eventSubscription: { scheme: scheme.name, id: created.id, ...(created.expiresAt ? { expiresAt: created.expiresAt } : {}) },
      };
    });
    logger.info('webhook subscription created', { organization: current.organization, instanceId: current.id, scheme: scheme.name });
    if (created.expiresAt && scheme.subscription.renew) await scheduleRenewal(rt, current, created.expiresAt);
    credentials = await openCredentials(rt, current);
    settings = eventSettings(current.configuration, credentials.secrets, element.definition);
  }
  if (!webhooks && current.eventSubscription) {
    await unsubscribe(rt, element, current);
    current = await store(rt, current, (latest) => {
      const next = { ...latest };
      delete next.eventSubscription;
      return next;
    });
  }
  if (settings.enabled && settings.type === 'polling') await schedulePolls(rt, current, settings);
  else await removePollState(rt, current);
  return current;
}

/** Before an instance is deleted: its subscription at the vendor, receiver and poll schedule go. */
export async function retireEvents(rt: Runtime, element: ResolvedElement | undefined, item: InstanceItem): Promise<void> {
  await unsubscribe(rt, element, item);
  if (item.eventReceiverId) await rt.table.delete(webhookReceiverKeys(item.eventReceiverId));
  await removePollState(rt, item);
}

/** The instance a receiver id names, if it is one of `elementKey`. */
export async function instanceOfReceiver(rt: Runtime, elementKey: string, receiverId: string): Promise<InstanceItem | undefined> {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(receiverId)) return undefined;
  const marker = await rt.table.get<StoredItem & { organization: string; instanceId: number; elementKey: string }>(webhookReceiverKeys(receiverId));
  if (!marker || marker.elementKey !== elementKey) return undefined;
  const instance = await getInstance(rt, marker.organization, marker.instanceId);
  return instance?.eventReceiverId === receiverId ? instance : undefined;
}

/** A subscription is renewed this long before the vendor would end it; a failed renewal is tried again after RENEWAL_RETRY_MS. */
export const RENEW_BEFORE_MS = 12 * 3_600_000;
export const RENEWAL_RETRY_MS = 15 * 60_000;

interface RenewalItem extends StoredItem {
  type: 'eventRenewal';
  organization: string;
  instanceId: number;
  renewAt: number;
  gsi1pk: string;
  gsi1sk: string;
}

async function scheduleRenewal(rt: Runtime, instance: InstanceItem, expiresAt: string): Promise<void> {
  const ends = Date.parse(expiresAt);
  const renewAt = Number.isFinite(ends) ? Math.max(rt.clock.now(), ends - RENEW_BEFORE_MS) : rt.clock.now();
  await rt.table.put({
    ...eventRenewalKeys(instance.organization, instance.id),
    type: 'eventRenewal',
    organization: instance.organization,
    instanceId: instance.id,
    renewAt,
    gsi1pk: RENEWALS_DUE_PARTITION,
    gsi1sk: dueKey(renewAt, instance.organization, instance.id),
  });
}

/**
 * Renews the vendor subscriptions due now, across organizations: each is first
 * claimed (its renewal time moves on by RENEWAL_RETRY_MS, so two schedulers
 * never renew one at once and a failure is tried again later), then extended
 * at the vendor. Returns how many were renewed.
 */
export async function renewDueSubscriptions(rt: Runtime, limit = 100): Promise<number> {
  const now = rt.clock.now();
  const due = await rt.table.query<RenewalItem>(RENEWALS_DUE_PARTITION, { index: 'gsi1', range: dueBy(now), limit });
  let renewed = 0;
  for (const renewal of due.items.filter((item) => item.type === 'eventRenewal')) {
    const keys = eventRenewalKeys(renewal.organization, renewal.instanceId);
    const retryAt = now + RENEWAL_RETRY_MS;
    const claimed = await rt.table.setIf(keys, { renewAt: retryAt, gsi1sk: dueKey(retryAt, renewal.organization, renewal.instanceId) }, 'renewAt = :seen', { ':seen': renewal.renewAt });
    if (!claimed) continue;
    const instance = await getInstance(rt, renewal.organization, renewal.instanceId);
    const element = instance ? await findElement(rt, instance.organization, instance.elementKey) : undefined;
    const scheme = element ? webhookScheme(element) : undefined;
    const subscription = instance?.eventSubscription;
    if (!instance || !element || !subscription || !scheme?.subscription?.renew) {
      await rt.table.delete(keys);
      continue;
    }
    try {
      const { expiresAt } = await scheme.subscription.renew(subscriptionContext(rt, element, instance, ''), subscription.id);
      const updated = await store(rt, instance, (latest) => (latest.eventSubscription?.id === subscription.id ? { ...latest, eventSubscription: { ...latest.eventSubscription, expiresAt } } : latest));
      if (updated.eventSubscription?.id === subscription.id) await scheduleRenewal(rt, updated, expiresAt);
      renewed++;
      logger.info('webhook subscription renewed', { organization: instance.organization, instanceId: instance.id, scheme: scheme.name, expiresAt });
    } catch (error) {
      logger.warn('webhook subscription could not be renewed', { organization: instance.organization, instanceId: instance.id, scheme: scheme.name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return renewed;
}
