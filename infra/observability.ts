// Alarms and the dashboard. Everything loops over the functions and the two
// APIs (platform, runtime) the stack built, so a function added to FUNCTIONS is
// covered without edits here. Alarms notify one SNS topic; the dashboard shows
// each API, per-function (AWS and Tollgate's own EMF metrics,
// shared/http/metrics.ts), the dead-letter queues and table health.
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_DIMENSION, METRIC, METRICS_NAMESPACE } from '../shared/http/metrics.js';
import type { AlarmSettings } from './config.js';

const PERIOD = Duration.minutes(5);
const TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.QUERY,
];

export interface ObservedFunction {
  name: string;
  fn: lambda.IFunction;
  timeout: Duration;
}

/** The metrics both API kinds (REST and HTTP) publish. */
export interface ApiMetrics {
  metricCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricServerError(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricClientError(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricIntegrationLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

export interface ObservedApi {
  /** The plane; also the `plane` field of each access log line. */
  name: 'platform' | 'runtime';
  api: ApiMetrics;
  accessLogs: logs.ILogGroup;
}

export interface ObservabilityProps {
  stage: string;
  apis: ObservedApi[];
  functions: ObservedFunction[];
  /** Dead-letter queues: any message in one is work that failed for good. */
  deadLetterQueues: { name: string; queue: sqs.IQueue }[];
  table: dynamodb.TableV2;
  gsiNames: string[];
  alarms: AlarmSettings;
  /** Customer managed key for the topic. */
  encryptionKey?: kms.IKey;
}

export class Observability extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { alarms: limits } = props;
    const stageName = props.stage;

    // Alarm notifications carry alarm names and states only. CloudWatch cannot
    // publish to a topic under the AWS managed aws/sns key, so the topic is
    // encrypted only with the stack's customer managed key, when there is one.
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Tollgate ${stageName} alarms`,
      enforceSSL: true,
      ...(props.encryptionKey ? { masterKey: props.encryptionKey } : {}),
    });
    if (limits.email) this.topic.addSubscription(new subscriptions.EmailSubscription(limits.email));
    const notify = new actions.SnsAction(this.topic);
    const alarm = (id: string, name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, id, {
        alarmName: `tollgate-${stageName}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };

    // Per API: 5xx rate (judged only with enough traffic to mean something) and throttling.
    const apiWidgets: cloudwatch.IWidget[] = [];
    for (const { name, api, accessLogs } of props.apis) {
      const label = name.charAt(0).toUpperCase() + name.slice(1);
      const requests = api.metricCount({ period: PERIOD, statistic: 'Sum' });
      const serverErrors = api.metricServerError({ period: PERIOD, statistic: 'Sum' });
      const clientErrors = api.metricClientError({ period: PERIOD, statistic: 'Sum' });
      const serverErrorRate = new cloudwatch.MathExpression({
        expression: `IF(requests >= ${limits.minRequests}, 100 * errors / requests, 0)`,
        usingMetrics: { requests, errors: serverErrors },
        period: PERIOD,
        label: '5xx %',
      });
      alarm(`${label}Api5xxRate`, `${name}-api-5xx-rate`, serverErrorRate, limits.serverErrorRatePercent, `${name} API: 5xx responses at or above ${limits.serverErrorRatePercent} % of requests over 5 minutes`);

      // API Gateway has no metric for its own 429s: count them in the JSON access log.
      const throttledFilter = new logs.MetricFilter(this, `${label}ThrottledRequestsFilter`, {
        logGroup: accessLogs,
        // The access log writes every field as a string.
        filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
        metricNamespace: METRICS_NAMESPACE,
        metricName: 'ApiThrottled',
        metricValue: '1',
        dimensions: { plane: '$.plane' },
      });
      const throttled = throttledFilter.metric({ period: PERIOD, statistic: 'Sum', dimensionsMap: { plane: name } });
      alarm(`${label}ApiThrottled`, `${name}-api-throttled`, throttled, limits.throttledRequests, `${name} API: at least ${limits.throttledRequests} requests answered 429 by the stage throttles in 5 minutes: clients exceed the per-route limits`);
      apiWidgets.push(
        new cloudwatch.GraphWidget({ title: `${name} API requests and errors`, left: [requests, clientErrors, serverErrors], right: [throttled], width: 8 }),
        new cloudwatch.GraphWidget({
          title: `${name} API latency`,
          left: [
            api.metricLatency({ period: PERIOD, statistic: 'p50' }),
            api.metricLatency({ period: PERIOD, statistic: 'p99' }),
            api.metricIntegrationLatency({ period: PERIOD, statistic: 'p99' }),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({ title: `${name} API 5xx %`, left: [serverErrorRate], leftAnnotations: [{ value: limits.serverErrorRatePercent, label: 'alarm' }], width: 8 }),
      );
    }

    // Per function: crashes and timeouts, Lambda throttles, slow p99.
    const functionWidgets: cloudwatch.IWidget[] = [];
    for (const { name, fn, timeout } of props.functions) {
      const label = name.charAt(0).toUpperCase() + name.slice(1);
      const errors = fn.metricErrors({ period: PERIOD, statistic: 'Sum' });
      const throttles = fn.metricThrottles({ period: PERIOD, statistic: 'Sum' });
      const p99 = fn.metricDuration({ period: PERIOD, statistic: 'p99' });
      const p99Limit = Math.min(limits.durationP99Ms, Math.floor(timeout.toMilliseconds() * 0.8));
      alarm(`${label}Errors`, `${name}-errors`, errors, limits.functionErrors, `${name} function: unhandled errors or timeouts (handled errors are HTTP responses)`);
      alarm(`${label}Throttles`, `${name}-throttles`, throttles, 1, `${name} function: invocations throttled by Lambda concurrency`);
      alarm(`${label}DurationP99`, `${name}-duration-p99`, p99, p99Limit, `${name} function: p99 duration at or above ${p99Limit} ms over 5 minutes`);

      const own = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { service: 'tollgate', [FUNCTION_DIMENSION]: name },
          period: PERIOD,
          statistic,
        });
      functionWidgets.push(
        new cloudwatch.GraphWidget({
          title: `${name}: invocations, errors, throttles`,
          left: [fn.metricInvocations({ period: PERIOD, statistic: 'Sum' }), errors, throttles],
          right: [fn.metric('ConcurrentExecutions', { period: PERIOD, statistic: 'Maximum' })],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: `${name}: duration`,
          left: [fn.metricDuration({ period: PERIOD, statistic: 'p50' }), p99],
          leftAnnotations: [{ value: p99Limit, label: 'p99 alarm' }],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: `${name}: responses (Tollgate metrics)`,
          left: [own(METRIC.requests, 'Sum'), own(METRIC.clientErrors, 'Sum'), own(METRIC.serverErrors, 'Sum'), own(METRIC.coldStart, 'Sum')],
          right: [own(METRIC.latency, 'p99')],
          width: 8,
        }),
      );
    }

    // Dead letters: messages whose handling failed every time (the connector events' poll runs and deliveries).
    const deadLetterMetrics = props.deadLetterQueues.map(({ name, queue }) => {
      const visible = queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: name });
      const label = name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
      alarm(`${label}DeadLetters`, `${name}-dead-letters`, visible, 1, `${name}: messages in the dead-letter queue, whose handling failed every time; see the consuming function's logs, then redrive`);
      return visible;
    });

    // Table: any throttling on the on-demand table or its index means a hot key or a sudden spike.
    const tableMetric = (metricName: string, index?: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: props.table.tableName, ...(index ? { GlobalSecondaryIndexName: index } : {}) },
        period: PERIOD,
        statistic: 'Sum',
      });
    const throttleMetrics: Record<string, cloudwatch.IMetric> = { r: tableMetric('ReadThrottleEvents'), w: tableMetric('WriteThrottleEvents') };
    props.gsiNames.forEach((index, i) => {
      throttleMetrics[`ir${i}`] = tableMetric('ReadThrottleEvents', index);
      throttleMetrics[`iw${i}`] = tableMetric('WriteThrottleEvents', index);
    });
    const tableThrottles = new cloudwatch.MathExpression({
      expression: Object.keys(throttleMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + '),
      usingMetrics: throttleMetrics,
      period: PERIOD,
      label: 'throttle events',
    });
    alarm('TableThrottles', 'table-throttles', tableThrottles, limits.dynamoThrottleEvents, 'DynamoDB read or write throttle events on the table or its index');

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `Tollgate-${stageName}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
    this.dashboard.addWidgets(...apiWidgets);
    this.dashboard.addWidgets(...functionWidgets);
    if (deadLetterMetrics.length) this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Dead-letter queues', left: deadLetterMetrics, width: 8 }));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Table capacity',
        left: [props.table.metricConsumedReadCapacityUnits({ period: PERIOD }), props.table.metricConsumedWriteCapacityUnits({ period: PERIOD })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Table throttles', left: [tableThrottles], width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'Table errors and conflicts',
        left: [props.table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD })],
        // Failed conditional writes: optimistic-concurrency conflicts (409s) and create-if-absent races.
        right: [props.table.metricConditionalCheckFailedRequests({ period: PERIOD, statistic: 'Sum' })],
        width: 8,
      }),
    );
  }

  /** Console URL of the dashboard. */
  dashboardUrl(): string {
    const region = Stack.of(this).region;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}
