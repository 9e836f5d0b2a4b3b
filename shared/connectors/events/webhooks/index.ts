// The vendor webhook schemes, by the name elements give in `events.webhook.scheme`.
import type { WebhookSchemeName } from '../element-events.js';
import { github } from './github.js';
import { hubspot } from './hubspot.js';
import { microsoftGraph } from './microsoft-graph.js';
import type { WebhookScheme } from './scheme.js';
import { shopify } from './shopify.js';
import { slack } from './slack.js';
import { stripe } from './stripe.js';

export const WEBHOOK_SCHEME_REGISTRY: Record<WebhookSchemeName, WebhookScheme> = {
  github,
  stripe,
  slack,
  shopify,
  hubspot,
  'microsoft-graph': microsoftGraph,
};
