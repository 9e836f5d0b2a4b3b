// AccessControl: CIDR rules in order, noRuleMatchAction, templated
// addresses, IPv6, and the X-Forwarded-For choices of ValidateBasedOn.
import { describe, expect, it } from 'vitest';
import { accessControl } from '../../../shared/gateway/policies/access-control.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

const rules = {
  noRuleMatchAction: 'DENY',
  rules: [
    { action: 'DENY', addresses: [{ address: '10.10.20.30', mask: 32 }] },
    { action: 'ALLOW', addresses: [{ address: '10.10.0.0', mask: 16 }, { address: '2001:db8::', mask: 32 }] },
  ],
};

const from = async (clientIp: string, config: object = rules, headers: Record<string, string> = {}) =>
  (await runPolicy(accessControl, config, { exchange: exchangeFor({ headers }, { clientIp }) })).fault?.status ?? 200;

describe('AccessControl', () => {
  it('reads the rules and ValidateBasedOn', () => {
    const config = xmlRoundTrip(
      accessControl,
      `<IPRules noRuleMatchAction="DENY"><MatchRule action="ALLOW"><SourceAddress mask="24">{allowed.ip}</SourceAddress><SourceAddress mask="32">10.1.1.1</SourceAddress></MatchRule></IPRules><ValidateBasedOn>X_FORWARDED_FOR_FIRST_IP</ValidateBasedOn>`,
    );
    expect(config).toEqual({ noRuleMatchAction: 'DENY', validateBasedOn: 'X_FORWARDED_FOR_FIRST_IP', rules: [{ action: 'ALLOW', addresses: [{ address: '{allowed.ip}', mask: 24 }, { address: '10.1.1.1', mask: 32 }] }] });
  });

  it('lets the first matching rule decide, else noRuleMatchAction', async () => {
    expect([await from('10.10.20.30'), await from('10.10.99.1'), await from('192.168.1.1'), await from('2001:db8:1::5'), await from('::ffff:10.10.1.1')]).toEqual([403, 200, 403, 200, 200]);
    const { fault } = await runPolicy(accessControl, rules, { exchange: exchangeFor({}, { clientIp: '8.8.8.8' }) });
    expect(fault).toMatchObject({ errorCode: 'accesscontrol.IPDeniedAccess', message: 'Access Denied for client ip : 8.8.8.8' });
  });

  it('checks the X-Forwarded-For address ValidateBasedOn names', async () => {
    const headers = { 'x-forwarded-for': '10.10.1.1, 8.8.8.8' };
    expect(await from('10.10.1.2', { ...rules, validateBasedOn: 'X_FORWARDED_FOR_FIRST_IP' }, headers)).toBe(200);
    expect(await from('10.10.1.2', { ...rules, validateBasedOn: 'X_FORWARDED_FOR_LAST_IP' }, headers)).toBe(403);
    expect(await from('10.10.1.2', { ...rules, validateBasedOn: 'X_FORWARDED_FOR_ALL_IP' }, headers)).toBe(403);
    expect(await from('10.10.1.2', rules, headers)).toBe(200);
  });

  it('resolves templated addresses per call and refuses a non-address', async () => {
    const exchange = exchangeFor({}, { clientIp: '172.16.5.5' });
    exchange.set('allowed.ip', '172.16.5.0');
    const templated = { noRuleMatchAction: 'DENY', rules: [{ action: 'ALLOW', addresses: [{ address: '{allowed.ip}', mask: 24 }] }] };
    expect((await runPolicy(accessControl, templated, { exchange })).fault).toBeUndefined();
    expect((await runPolicy(accessControl, templated, { exchange: exchangeFor({}, { clientIp: '172.16.5.5' }) })).fault?.errorCode).toBe('accesscontrol.InvalidIPAddressInVariable');
    expect(() => accessControl.prepare!(accessControl.schema.parse({ rules: [{ action: 'DENY', addresses: [{ address: 'nope' }] }] }), {} as never)).toThrow('not an IP address');
  });
});
