// Formulas on AWS: every formula execution is an execution of one Standard
// AWS Step Functions state machine (shared/formulas/state-machine.ts says
// why Standard). Its task invokes the formulas function once per step; a
// Wait state holds a retry's backoff with no function running. The functions
// whose triggers start executions (the platform's manual and element request
// triggers, the scheduler's schedules and restarts, the delivery function's
// event sink) get the machine's ARN and may start it, and nothing else.
//
// Roles: the machine's may invoke the formulas function and write its own
// execution logs; the formulas function's is a Tollgate function's (its log
// group, the table, reading secrets); neither may start executions.
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { executionStateMachine } from '../shared/formulas/state-machine.js';
import { STATE_MACHINE_START_ACTIONS } from './access.js';
import type { FunctionEnvironment } from './environment.js';
import { tollgateFunction, withOverrides, type FunctionSpec, type FunctionsProps } from './functions.js';

/** The step function's variable in the definition, substituted by CloudFormation (DefinitionSubstitutions). */
export const STEP_FUNCTION_SUBSTITUTION = 'StepFunctionArn';

/** The environment variable naming the machine (shared/config.ts: formulasStateMachineArn). */
const STATE_MACHINE_VARIABLE: keyof FunctionEnvironment = 'TOLLGATE_FORMULAS_STATE_MACHINE_ARN';

/**
 * One step per invocation. A sub-formula runs inside its parent's step, so
 * the timeout bounds a whole sub-formula (tollgate:functions.formulas.timeoutSeconds
 * raises it, up to Lambda's 900 s). Element requests record connector usage,
 * which is buffered: the shutdown extension writes it when a container retires.
 */
export const FORMULAS_FUNCTION: FunctionSpec = {
  memorySize: 1024,
  timeout: Duration.minutes(5),
  description: 'Formulas: runs the next step of an execution for its state machine',
  writesSecrets: false,
  buffersAnalytics: true,
};

/** How long the machine waits for one step before it counts as crashed: the function's timeout and a margin for the invocation itself. */
const TASK_MARGIN_SECONDS = 10;

export interface FormulasProps extends FunctionsProps {
  /** The shutdown extension (infra/functions.ts), for the buffered usage records. */
  layers: lambda.ILayerVersion[];
}

export class Formulas extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly timeout: Duration;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: FormulasProps) {
    super(scope, id);
    const { settings } = props;
    const sized = withOverrides(FORMULAS_FUNCTION, settings.functions.formulas);
    this.timeout = sized.timeout;
    this.fn = tollgateFunction(this, 'formulas', sized, props, props.layers).fn;

    const role = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'Tollgate formulas state machine: invokes the formulas function',
    });
    // The function itself, not its versions and aliases (`:*`), which the L2 task's grant would add.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.fn.functionArn] }));
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', { retention: settings.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY });

    const definition = executionStateMachine({
      stepFunctionArn: `\${${STEP_FUNCTION_SUBSTITUTION}}`,
      stepTimeoutSeconds: sized.timeout.toSeconds() + TASK_MARGIN_SECONDS,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'Tollgate formula executions',
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: { [STEP_FUNCTION_SUBSTITUTION]: this.fn.functionArn },
      role,
      // Every event, without its data: a step's input and output stay in the table, where the API masks nothing it should not show.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: settings.tracing,
    });

    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        "Added by Step Functions' logging (CloudWatch Logs' log delivery actions, which support no resource-level permissions) and, with tollgate:tracing, X-Ray's PutTraceSegments and PutTelemetryRecords (likewise).",
    });
    if (!settings.tracing) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SF2',
        reason: 'X-Ray tracing follows tollgate:tracing (off by default, like the functions and stages); every execution logs all events, and each step is recorded in the table.',
      });
    }
  }

  /** Lets a function start executions: the machine's ARN in its environment and StartExecution on it. */
  grantStart(fn: lambda.Function): void {
    fn.addEnvironment(STATE_MACHINE_VARIABLE, this.stateMachine.stateMachineArn);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: STATE_MACHINE_START_ACTIONS, resources: [this.stateMachine.stateMachineArn] }));
  }
}
