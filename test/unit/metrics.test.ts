// Request metrics: one CloudWatch EMF record per invocation in Lambda (in the
// access-log line when that is on), nothing at all locally and in tests unless asked for. Each case runs a real HTTP
// function in a fresh Node process and reads what it wrote to stdout.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metricsEnabled } from '../../shared/http/metrics.js';

const probe = fileURLToPath(new URL('../support/programs/metrics-probe.ts', import.meta.url));
const accessProbe = fileURLToPath(new URL('../support/programs/access-line-probe.ts', import.meta.url));

function runProbe(env: Record<string, string>, errors: string[] = [], program = probe): string[] {
  const base = { ...process.env };
  for (const name of ['AWS_LAMBDA_FUNCTION_NAME', 'POWERTOOLS_METRICS_DISABLED', 'POWERTOOLS_DEV']) delete base[name];
  const result = spawnSync(process.execPath, ['--import', 'tsx', program], {
    env: { ...base, LOG_LEVEL: 'SILENT', POWERTOOLS_SERVICE_NAME: 'tollgate', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status, result.stderr).toBe(0);
  errors.push(...result.stderr.split('\n').filter((line) => line.startsWith('{')));
  return result.stdout.split('\n').filter(Boolean);
}

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

describe('request metrics', () => {
  it('writes one EMF record per request in Lambda: requests, 4xx, 5xx, latency and the cold start', () => {
    const lines = runProbe({ AWS_LAMBDA_FUNCTION_NAME: 'tollgate-probe' });
    expect(lines).toHaveLength(3);
    const records = lines.map((line) => JSON.parse(line) as Emf);
    for (const record of records) {
      const [directive] = record._aws.CloudWatchMetrics;
      expect(directive!.Namespace).toBe('Tollgate');
      expect(directive!.Dimensions).toEqual([['service', 'function']]);
      expect(record.service).toBe('tollgate');
      expect(record.function).toBe('probe');
      expect(record.Requests).toBe(1);
      expect(typeof record.Latency).toBe('number');
      expect(directive!.Metrics).toEqual(expect.arrayContaining([{ Name: 'Latency', Unit: 'Milliseconds' }, { Name: '5xx', Unit: 'Count' }]));
    }
    expect(records.map((r) => [r['4xx'], r['5xx']])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
    expect(records.map((r) => r.ColdStart)).toEqual([1, undefined, undefined]);
    // Nothing about the request beyond the numbers: no path, header or body.
    expect(lines.join('\n')).not.toMatch(/\/404|authorization|ok":true/);
  });

  it('puts the metrics record in the access-log line when both are on: one line per request', () => {
    const warnings: string[] = [];
    const lines = runProbe({ AWS_LAMBDA_FUNCTION_NAME: 'tollgate-probe', LOG_LEVEL: 'INFO' }, warnings);
    expect(lines).toHaveLength(3);
    expect(warnings).toEqual([]);
    const records = lines.map((line) => JSON.parse(line) as Emf);
    expect(records.map((r) => [r.message, r.level, r.fn, r.status, r.path])).toEqual([
      ['request', 'INFO', 'probe', 200, '/200'],
      ['request', 'INFO', 'probe', 404, '/404'],
      ['request', 'INFO', 'probe', 500, '/500'],
    ]);
    for (const record of records) {
      const [directive] = record._aws.CloudWatchMetrics;
      expect(directive!.Namespace).toBe('Tollgate');
      expect(directive!.Dimensions).toEqual([['service', 'function']]);
      expect([record.service, record.function, record.Requests, typeof record.Latency]).toEqual(['tollgate', 'probe', 1, 'number']);
    }
    expect(records.map((r) => [r['4xx'], r['5xx'], r.ColdStart])).toEqual([
      [0, 0, 1],
      [1, 0, undefined],
      [0, 1, undefined],
    ]);
  });

  it('writes the access line in the shape Powertools writes it, cold start and X-Ray trace included', () => {
    const lines = runProbe(
      { LOG_LEVEL: 'INFO', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' },
      [],
      accessProbe,
    ).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    const withoutTime = ({ timestamp, ...rest }: Record<string, unknown>) => {
      expect(Date.parse(timestamp as string)).not.toBeNaN();
      return rest;
    };
    // Powertools' line, then the direct one, for a cold and a warm invocation: the same keys in the same order.
    for (const first of [0, 2]) {
      const [powertools, direct] = [lines[first]!, lines[first + 1]!];
      expect(Object.keys(direct)).toEqual(Object.keys(powertools));
      expect(withoutTime(direct)).toEqual(withoutTime(powertools));
    }
    expect([lines[1]!.cold_start, lines[3]!.cold_start, lines[1]!.xray_trace_id]).toEqual([true, false, '1-5759e988-bd862e3fe1be46a994272793']);
  });

  it('writes the access-log line alone when metrics are off', () => {
    const lines = runProbe({ LOG_LEVEL: 'INFO' }).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((r) => [r.message, r.status])).toEqual([
      ['request', 200],
      ['request', 404],
      ['request', 500],
    ]);
    expect(lines.some((r) => '_aws' in r)).toBe(false);
  });

  it('writes nothing locally or in tests', () => {
    expect(runProbe({})).toEqual([]);
  });

  it('follows POWERTOOLS_METRICS_DISABLED when it is set, either way', () => {
    expect(runProbe({ POWERTOOLS_METRICS_DISABLED: 'false' })).toHaveLength(3);
    expect(runProbe({ AWS_LAMBDA_FUNCTION_NAME: 'tollgate-probe', POWERTOOLS_METRICS_DISABLED: 'true' })).toEqual([]);
  });

  it('decides from the environment like Powertools does', () => {
    expect(metricsEnabled({})).toBe(false);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'f' })).toBe(true);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'f', POWERTOOLS_DEV: 'true' })).toBe(false);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'f', POWERTOOLS_METRICS_DISABLED: '1' })).toBe(false);
    expect(metricsEnabled({ POWERTOOLS_METRICS_DISABLED: 'false' })).toBe(true);
    expect(metricsEnabled({ POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' })).toBe(true);
  });
});
