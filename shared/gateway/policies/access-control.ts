// AccessControl: allows or denies a call by the client's IP address, with
// Apigee's match rules (CIDR masks, IPv4 and IPv6, addresses from templates)
// in document order: the first rule that matches decides, otherwise
// noRuleMatchAction. ValidateBasedOn picks which address is checked: the
// client's (the connection's, as API Gateway reports it) or the first, the
// last or every address of X-Forwarded-For.
import net from 'node:net';
import * as z from 'zod';
import type { PolicyExchange } from '../engine/policy.js';
import { defineFaults, raise, render } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { el } from './xml-model.js';

export const ACCESS_CONTROL_FAULTS = defineFaults({
  IPDeniedAccess: ['accesscontrol.IPDeniedAccess', 403],
  InvalidIPAddressInVariable: ['accesscontrol.InvalidIPAddressInVariable', 500],
});

const Action = z.lazy(() => z.enum(['ALLOW', 'DENY']));

const schema = z.lazy(() => z.object({
  noRuleMatchAction: Action.default('ALLOW'),
  rules: z.array(z.object({ action: Action, addresses: z.array(z.object({ address: z.string().min(1), mask: z.number().int().min(0).max(128).optional() })).min(1) })).default([]),
  validateBasedOn: z.enum(['X_FORWARDED_FOR_ALL_IP', 'X_FORWARDED_FOR_FIRST_IP', 'X_FORWARDED_FOR_LAST_IP']).optional(),
}));

type Config = z.infer<typeof schema>;

const family = (address: string): 'ipv4' | 'ipv6' | undefined => (net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined);
const mapped = (address: string) => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;

/** The addresses to check: X-Forwarded-For's as ValidateBasedOn says, else the client's. */
function addressesOf(config: Config, exchange: PolicyExchange): string[] {
  const forwarded = exchange.request.headers
    .getAll('x-forwarded-for')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  switch (config.validateBasedOn) {
    case 'X_FORWARDED_FOR_ALL_IP':
      return forwarded.length ? forwarded : [exchange.clientIp];
    case 'X_FORWARDED_FOR_FIRST_IP':
      return [forwarded[0] ?? exchange.clientIp];
    case 'X_FORWARDED_FOR_LAST_IP':
      return [forwarded.at(-1) ?? exchange.clientIp];
    default:
      return [exchange.clientIp];
  }
}

export const accessControl = definePolicy({
  type: 'AccessControl',
  schema,
  faults: ACCESS_CONTROL_FAULTS,
  prepare: (config) => {
    // Literal addresses become BlockLists once; templated ones (`{allowed.ip}`) are resolved per call.
    for (const rule of config.rules) {
      for (const source of rule.addresses) {
        if (!source.address.includes('{') && !family(mapped(source.address))) throw new Error(`"${source.address}" is not an IP address`);
      }
    }
    return undefined;
  },
  execute: ({ config, exchange, policy }) => {
    const candidates = addressesOf(config, exchange).map(mapped);
    for (const address of candidates) {
      if (!family(address)) throw raise(ACCESS_CONTROL_FAULTS, 'InvalidIPAddressInVariable', `${policy.name}: "${address}" is not an IP address`);
    }
    const decide = (address: string): 'ALLOW' | 'DENY' => {
      for (const rule of config.rules) {
        const list = new net.BlockList();
        for (const source of rule.addresses) {
          const written = mapped(render(exchange, source.address).trim());
          const kind = family(written);
          if (!kind) throw raise(ACCESS_CONTROL_FAULTS, 'InvalidIPAddressInVariable', `${policy.name}: "${written}" is not an IP address`);
          const bits = kind === 'ipv4' ? 32 : 128;
          list.addSubnet(written, Math.min(source.mask ?? bits, bits), kind);
        }
        if (list.check(address, family(address)!)) return rule.action;
      }
      return config.noRuleMatchAction;
    };
    // Every address checked must be allowed (X_FORWARDED_FOR_ALL_IP); one denied is enough to refuse.
    if (candidates.some((address) => decide(address) === 'DENY')) throw raise(ACCESS_CONTROL_FAULTS, 'IPDeniedAccess', 'Access Denied for client ip : ' + candidates.join(', '));
  },
});

export const accessControlXml = /* @__PURE__ */ policyXml(accessControl, {
  fromXml: (root) => {
    const rules = root.child('IPRules');
    return {
      noRuleMatchAction: rules?.oneOf(['ALLOW', 'DENY'] as const, 'noRuleMatchAction'),
      validateBasedOn: root.child('ValidateBasedOn')?.oneOf(['X_FORWARDED_FOR_ALL_IP', 'X_FORWARDED_FOR_FIRST_IP', 'X_FORWARDED_FOR_LAST_IP'] as const),
      rules: (rules?.all('MatchRule') ?? []).map((rule) => ({
        action: rule.oneOf(['ALLOW', 'DENY'] as const, 'action'),
        addresses: rule.all('SourceAddress').map((source) => ({ address: source.text(), mask: source.int('mask') })),
      })),
    };
  },
  toXml: (config) => ({
    children: [
      el(
        'IPRules',
        { noRuleMatchAction: config.noRuleMatchAction },
        config.rules.map((rule) => el('MatchRule', { action: rule.action }, rule.addresses.map((source) => el('SourceAddress', { mask: source.mask }, source.address)))),
      ),
      config.validateBasedOn ? el('ValidateBasedOn', {}, config.validateBasedOn) : undefined,
    ].filter((node) => node !== undefined),
  }),
});
