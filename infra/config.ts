// Stack settings, read from CDK context (`cdk.json` or `-c key=value`).
import type { Node } from 'constructs';

export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

export interface StackSettings {
  stage: string;
  organization: string;
  allowedRedirectOrigins: string[];
  tokenLifetimeSeconds: number;
  logRetentionDays: number;
  /** Keep the table and secrets when the stack is deleted (default true). */
  retainData: boolean;
  tracing: boolean;
  customDomain?: { domainName: string; certificateArn: string };
  /** Method throttles by `resourcePath/METHOD`, plus `default` for everything else. */
  throttles: Record<string, Throttle>;
}

export const DEFAULT_THROTTLES: Record<string, Throttle> = {
  default: { rateLimit: 200, burstLimit: 100 },
  '/oauth/token/POST': { rateLimit: 100, burstLimit: 50 },
  '/elements/api-v2/oauth/callback/GET': { rateLimit: 10, burstLimit: 20 },
  '/v1/{proxy+}/*': { rateLimit: 50, burstLimit: 25 },
  '/elements/{proxy+}/*': { rateLimit: 100, burstLimit: 50 },
  '/{proxy+}/*': { rateLimit: 1000, burstLimit: 500 },
};

function context<T>(node: Node, key: string, fallback: T): T {
  const value = node.tryGetContext(`tollgate:${key}`) as unknown;
  return value === undefined ? fallback : (value as T);
}

function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.split(',').map((v) => v.trim()).filter(Boolean);
  return [];
}

export function settingsFrom(node: Node): StackSettings {
  const domainName = context<string | undefined>(node, 'domainName', undefined);
  const certificateArn = context<string | undefined>(node, 'certificateArn', undefined);
  const throttles = { ...DEFAULT_THROTTLES, ...context<Record<string, Throttle>>(node, 'throttles', {}) };
  const stage = context(node, 'stage', 'prod');
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage)) throw new Error(`tollgate:stage "${stage}" must be lower-case letters, digits, -`);
  return {
    stage,
    organization: context(node, 'organization', 'default'),
    allowedRedirectOrigins: listOf(context(node, 'allowedRedirectOrigins', [])),
    tokenLifetimeSeconds: Number(context(node, 'tokenLifetimeSeconds', 3600)),
    logRetentionDays: Number(context(node, 'logRetentionDays', 30)),
    retainData: String(context(node, 'retainData', true)) !== 'false',
    tracing: String(context(node, 'tracing', false)) === 'true',
    ...(domainName && certificateArn ? { customDomain: { domainName, certificateArn } } : {}),
    throttles,
  };
}
