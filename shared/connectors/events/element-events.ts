// What an element says about events, in its JSON's `events` (Open Connectors'
// element metadata has `events.supported` and `events.methods`): whether its
// instances can be polled, receive the vendor's webhooks, or both, and for
// webhooks how the vendor signs them. The signature scheme names one of the
// vendor schemes in ./webhooks/ (one file each); a custom element picks the
// scheme of the vendor it describes. `subscribe` lists what Tollgate asks the
// vendor for when it creates the subscription itself (GitHub events, Stripe
// enabled_events, Shopify topics, Microsoft Graph change types).
import * as z from 'zod';

export const WEBHOOK_SCHEMES = ['github', 'stripe', 'slack', 'shopify', 'hubspot', 'microsoft-graph'] as const;
export type WebhookSchemeName = (typeof WEBHOOK_SCHEMES)[number];
export const EVENT_METHODS = ['polling', 'webhook'] as const;
export type EventMethod = (typeof EVENT_METHODS)[number];

export const elementEventsSchema = z.lazy(() => z
  .object({
    supported: z.boolean().default(true),
    /** The first is an instance's default `event.vendor.type`. */
    methods: z.array(z.enum(EVENT_METHODS)).min(1).max(2).default(['polling']),
    webhook: z
      .strictObject({
        scheme: z.enum(WEBHOOK_SCHEMES),
        subscribe: z.array(z.string().min(1).max(200)).max(100).default([]),
        /** Microsoft Graph: the resource a subscription watches, e.g. `me/messages`. */
        resource: z.string().min(1).max(1000).optional(),
      })
      .optional(),
  })
  .superRefine((events, ctx) => {
    if (events.methods.includes('webhook') && !events.webhook) {
      ctx.addIssue({ code: 'custom', path: ['webhook'], message: 'required when methods include webhook: name the vendor signature scheme' });
    }
    if (new Set(events.methods).size !== events.methods.length) ctx.addIssue({ code: 'custom', path: ['methods'], message: 'lists a method twice' });
  }));

export type ElementEvents = z.output<typeof elementEventsSchema>;
