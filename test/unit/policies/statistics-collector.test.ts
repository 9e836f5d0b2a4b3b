// StatisticsCollector: each statistic's variable, or its default when unset,
// lands on the exchange's statistics typed as the policy says (strings and
// booleans become custom dimensions, numbers custom metrics); names that
// analytics uses itself, or repeated, are refused.
import { describe, expect, it } from 'vitest';
import { statisticsCollector } from '../../../shared/gateway/policies/statistics-collector.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

describe('StatisticsCollector schema', () => {
  it('needs a statistic, refuses analytics\' own names, repeated names and names that are not identifiers', () => {
    expect(statisticsCollector.schema.safeParse({ statistics: [] }).success).toBe(false);
    expect(statisticsCollector.schema.safeParse({ statistics: [{ name: 'apiproxy', ref: 'x' }] }).success).toBe(false);
    expect(statisticsCollector.schema.safeParse({ statistics: [{ name: 'Message_Count', ref: 'x' }] }).success).toBe(false);
    expect(statisticsCollector.schema.safeParse({ statistics: [{ name: 'a', ref: 'x' }, { name: 'a', ref: 'y' }] }).success).toBe(false);
    expect(statisticsCollector.schema.safeParse({ statistics: [{ name: 'product id', ref: 'x' }] }).success).toBe(false);
    expect(statisticsCollector.schema.safeParse({ statistics: [{ name: 'price', ref: 'x', type: 'decimal' }] }).success).toBe(false);
    expect(statisticsCollector.schema.parse({ statistics: [{ name: 'productID', ref: 'product.id' }] }).statistics[0]!.type).toBe('string');
  });
});

describe('StatisticsCollector XML', () => {
  it('reads Apigee\'s Statistics with the default as the element text', () => {
    const config = xmlRoundTrip(
      statisticsCollector,
      '<Statistics><Statistic name="productID" ref="product.id" type="string">999999</Statistic><Statistic name="price" ref="product.price" type="FLOAT">0</Statistic></Statistics>',
    );
    expect(config.statistics).toEqual([
      { name: 'productID', ref: 'product.id', type: 'string', default: '999999' },
      { name: 'price', ref: 'product.price', type: 'float', default: '0' },
    ]);
  });
});

describe('StatisticsCollector execute', () => {
  const config = {
    statistics: [
      { name: 'productID', ref: 'product.id', type: 'string', default: 'none' },
      { name: 'price', ref: 'product.price', type: 'float', default: '0' },
      { name: 'units', ref: 'request.queryparam.units', type: 'integer' },
      { name: 'gift', ref: 'request.header.x-gift', type: 'boolean' },
      { name: 'channel', ref: 'request.header.x-channel' },
    ],
  };

  it('collects each variable typed as its statistic says', async () => {
    const exchange = exchangeFor({ headers: { 'x-gift': 'TRUE', 'x-channel': 'web' }, query: { units: '3' } });
    exchange.set('product.id', 'sku-42');
    exchange.set('product.price', '19.5');
    const run = await runPolicy(statisticsCollector, config, { exchange });
    expect(run.fault).toBeUndefined();
    expect(Object.fromEntries(exchange.statistics)).toEqual({ productID: 'sku-42', price: 19.5, units: 3, gift: 'true', channel: 'web' });
  });

  it('takes the default when the variable is unset or not of the type, and records nothing without one', async () => {
    const exchange = exchangeFor({ headers: { 'x-gift': 'perhaps' }, query: { units: 'many' } });
    exchange.set('product.price', 'free');
    await runPolicy(statisticsCollector, config, { exchange });
    expect(Object.fromEntries(exchange.statistics)).toEqual({ productID: 'none', price: 0 });
  });
});
