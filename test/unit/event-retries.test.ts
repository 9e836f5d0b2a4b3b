// The delivery backoff and Open Connectors' signature header, checked against
// a receiver-side computation written independently (node:crypto).
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RETRY_WINDOW_MS, retryDelay, webhookSignature } from '../../shared/connectors/events/delivery.js';

describe('delivery retries', () => {
  it('waits 30 s doubling to at most an hour, with up to 20 % jitter', () => {
    const bases = [30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000];
    bases.forEach((base, i) => {
      for (let n = 0; n < 20; n++) {
        const delay = retryDelay(i + 1);
        expect(delay).toBeGreaterThanOrEqual(base);
        expect(delay).toBeLessThanOrEqual(base * 1.2 + 1);
      }
    });
    expect(retryDelay(1000)).toBeLessThanOrEqual(3_600_000 * 1.2 + 1);
  });

  it('keeps retrying for 24 hours: about 30 attempts at most', () => {
    let elapsed = 0;
    let attempts = 1;
    while (elapsed + retryDelay(attempts) <= RETRY_WINDOW_MS) elapsed += retryDelay(attempts++);
    expect(attempts).toBeGreaterThan(20);
    expect(attempts).toBeLessThan(35);
  });

  it('signs the body as Elements-Webhook-Signature: sha256=<base64 HMAC-SHA256>', () => {
    const body = '{"message":{"eventId":"e1","events":[]}}';
    expect(webhookSignature('abcd1234efgh5678', body)).toBe(`sha256=${createHmac('sha256', 'abcd1234efgh5678').update(body).digest('base64')}`);
  });
});
