// StatisticsCollector: variables or defaults, cast to their types, into the
// exchange's statistics (the analytics record's custom dimensions).
import { describe, expect, it } from 'vitest';
import { statisticsCollector } from '../../../shared/gateway/policies/statistics-collector.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

describe('StatisticsCollector', () => {
  it('reads the statistics', () => {
    expect(xmlRoundTrip(statisticsCollector, '<Statistics><Statistic name="productID" ref="product.id" type="string">999999</Statistic><Statistic name="price" ref="product.price" type="float">0</Statistic></Statistics>')).toEqual({
      statistics: [
        { name: 'productID', ref: 'product.id', type: 'string', default: '999999' },
        { name: 'price', ref: 'product.price', type: 'float', default: '0' },
      ],
    });
  });

  it('records values, defaults and types, and refuses a value of the wrong type', async () => {
    const exchange = exchangeFor();
    exchange.set('product.price', '12.5');
    const config = { statistics: [{ name: 'productID', ref: 'product.id', default: '999999' }, { name: 'price', ref: 'product.price', type: 'float' }, { name: 'vip', ref: 'x', type: 'boolean', default: 'TRUE' }] };
    expect((await runPolicy(statisticsCollector, config, { exchange })).fault).toBeUndefined();
    expect(Object.fromEntries(exchange.statistics)).toEqual({ productID: '999999', price: 12.5, vip: true });
    const bad = exchangeFor();
    bad.set('n', 'many');
    expect((await runPolicy(statisticsCollector, { statistics: [{ name: 'n', ref: 'n', type: 'integer' }] }, { exchange: bad })).fault?.errorCode).toBe('steps.statisticscollector.UnsupportedDatatype');
  });
});
