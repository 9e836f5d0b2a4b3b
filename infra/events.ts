// Connector events on AWS. EventBridge Scheduler invokes the scheduler
// function every minute; it hands each instance whose poll is due to the poll
// queue (SQS) and re-sends deliveries whose message is overdue. The poller
// function consumes the poll queue and records the events it finds; the
// delivery function consumes the delivery queue and POSTs each notification to
// its callback (it queues a retry itself with an SQS delay; later retries come
// back through the scheduler's sweep). Each queue has a dead-letter queue for
// messages whose handling keeps failing (the table unreachable), watched by
// an alarm; a delivery the callback refuses for 24 hours is dead-lettered in
// the table, where the events API lists it.
//
// Every role is its own and holds only what its function does: the scheduler
// sends to both queues, the poller consumes the poll queue and sends to the
// delivery queue, the delivery function consumes and sends to the delivery
// queue; the schedule's role may invoke the scheduler function and nothing else.
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUE_KMS_SEND_ACTIONS, QUEUE_SEND_ACTIONS } from './access.js';
import type { FunctionEnvironment } from './environment.js';
import { tollgateFunction, withOverrides, type FunctionSpec, type FunctionsProps } from './functions.js';

export type EventFunctionName = 'scheduler' | 'poller' | 'delivery';

export const EVENT_FUNCTIONS: Record<EventFunctionName, FunctionSpec> = {
  scheduler: { memorySize: 512, timeout: Duration.seconds(50), description: 'Connector events: hands out due polls and overdue deliveries, renews vendor subscriptions, every minute', writesSecrets: false, buffersAnalytics: false },
  // Below the poll lease (5 minutes, shared/connectors/events/poller.ts): a run never outlives its lease.
  poller: { memorySize: 1024, timeout: Duration.minutes(4), description: "Connector events: polls an instance's objects at the vendor", writesSecrets: false, buffersAnalytics: false },
  // One message per invocation: a callback may take its full 10 s timeout.
  delivery: { memorySize: 512, timeout: Duration.seconds(30), description: 'Connector events: delivers notifications to callbacks and sinks', writesSecrets: false, buffersAnalytics: false },
};

/** A message whose handling failed this often moves to the dead-letter queue. */
const MAX_RECEIVES = 5;

/** What the Lambda event source needs from the function's role to consume a queue. */
const QUEUE_CONSUME_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'];

export interface EventsProps extends Omit<FunctionsProps, 'environment'> {
  /** The functions' environment, given the queue URLs (every function that records events sends to the delivery queue). */
  environment: (queueUrls: { poll: string; delivery: string }) => FunctionEnvironment;
}

export interface EventQueue {
  name: 'poll' | 'delivery';
  queue: sqs.Queue;
  deadLetters: sqs.Queue;
}

export class Events extends Construct {
  readonly queues: Record<'poll' | 'delivery', EventQueue>;
  readonly functions = {} as Record<EventFunctionName, nodejs.NodejsFunction>;
  readonly timeouts = {} as Record<EventFunctionName, Duration>;
  /** The environment of every function of the stack: the queue URLs included. */
  readonly environment: FunctionEnvironment;
  readonly schedule: scheduler.CfnSchedule;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: EventsProps,
  ) {
    super(scope, id);
    const { settings, key } = props;
    const encryption = key ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, dataKeyReuse: Duration.hours(1) } : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    const queue = (name: 'poll' | 'delivery', visibilityTimeout: Duration): EventQueue => {
      const label = cap(name);
      const deadLetters = new sqs.Queue(this, `${label}DeadLetters`, { ...encryption, enforceSSL: true, retentionPeriod: Duration.days(14) });
      const main = new sqs.Queue(this, `${label}Queue`, {
        ...encryption,
        enforceSSL: true,
        visibilityTimeout,
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVES },
      });
      return { name, queue: main, deadLetters };
    };
    // AWS asks for a visibility timeout of six times the consuming function's timeout.
    this.queues = {
      poll: queue('poll', Duration.seconds(withOverrides(EVENT_FUNCTIONS.poller, settings.functions.poller).timeout.toSeconds() * 6)),
      delivery: queue('delivery', Duration.seconds(withOverrides(EVENT_FUNCTIONS.delivery, settings.functions.delivery).timeout.toSeconds() * 6)),
    };
    this.environment = props.environment({ poll: this.queues.poll.queue.queueUrl, delivery: this.queues.delivery.queue.queueUrl });

    for (const [name, spec] of Object.entries(EVENT_FUNCTIONS) as [EventFunctionName, FunctionSpec][]) {
      const sized = withOverrides(spec, settings.functions[name]);
      this.timeouts[name] = sized.timeout;
      this.functions[name] = tollgateFunction(this, name, sized, { ...props, environment: this.environment }).fn;
    }
    const { scheduler: schedulerFn, poller, delivery } = this.functions;
    this.grantSend(schedulerFn, 'poll', 'delivery');
    this.consume(poller, 'poll');
    this.grantSend(poller, 'delivery');
    this.consume(delivery, 'delivery');
    this.grantSend(delivery, 'delivery');
    this.schedule = this.everyMinute(schedulerFn);
  }

  /** Lets a function queue work (the platform's webhook receiver and redelivery send deliveries). */
  grantSend(fn: lambda.IFunction, ...names: ('poll' | 'delivery')[]): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: QUEUE_SEND_ACTIONS, resources: names.map((name) => this.queues[name].queue.queueArn) }));
    this.useKey(fn);
  }

  private readonly keyUsers = new Set<lambda.IFunction>();

  /**
   * The customer managed key of the queues' messages, only through SQS: what
   * sending needs (consuming needs kms:Decrypt alone, and every consumer here
   * also sends). One statement per function.
   */
  private useKey(fn: lambda.IFunction): void {
    if (!this.props.key || this.keyUsers.has(fn)) return;
    this.keyUsers.add(fn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: QUEUE_KMS_SEND_ACTIONS,
        resources: [this.props.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Aws.REGION}.${Aws.URL_SUFFIX}` } },
      }),
    );
  }

  /**
   * The function consumes the queue one message per invocation and reports a
   * failed one back (partial batch response). The event source mapping polls
   * with the function's role, granted here by hand: the queue only, and the
   * key only through SQS (SqsEventSource would grant kms:Decrypt outright).
   */
  private consume(fn: nodejs.NodejsFunction, name: 'poll' | 'delivery'): void {
    const { queue } = this.queues[name];
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: QUEUE_CONSUME_ACTIONS, resources: [queue.queueArn] }));
    this.useKey(fn);
    new lambda.EventSourceMapping(this, `${cap(name)}Source`, {
      target: fn,
      eventSourceArn: queue.queueArn,
      batchSize: 1,
      reportBatchItemFailures: true,
    });
  }

  /**
   * EventBridge Scheduler, every minute, no retry (the next run comes a minute
   * later anyway). Its role may invoke this one function: the L2 target's grant
   * would add every version and alias (`:*`) too.
   */
  private everyMinute(fn: lambda.IFunction): scheduler.CfnSchedule {
    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
      description: 'Tollgate connector events schedule: invokes the scheduler function',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
    const schedule = new scheduler.CfnSchedule(this, 'EveryMinute', {
      description: `Tollgate ${Stack.of(this).stackName}: connector event polls and the delivery sweep`,
      scheduleExpression: 'rate(1 minute)',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: { arn: fn.functionArn, roleArn: role.roleArn, retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 } },
    });
    schedule.node.addDependency(role);
    return schedule;
  }
}

const cap = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
