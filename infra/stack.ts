// The Tollgate stack: the state (table, secrets, optional key), one Lambda
// function per entry in functions/, and the two planes' APIs wired from the
// route tables the local servers use (shared/http/api-routes.ts):
// - the platform API (HTTP API): management, token service, connectors,
//   hosted OAuth callback, health check;
// - the runtime API (REST API): deployed proxies, one stage per environment;
// - connector events: the schedule, queues and the functions that work them;
// - formulas: the state machine of their executions and its step function.
// Each part is its own construct (or, for state, its own module); this file
// only puts them together and publishes what an operator needs.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE_KEYS } from '../shared/store/schema.js';
import type { FunctionName } from '../shared/http/api-routes.js';
import { SettingsError, type StackSettings } from './config.js';
import { functionEnvironment } from './environment.js';
import { EVENT_FUNCTIONS, Events, type EventFunctionName } from './events.js';
import { Formulas } from './formulas.js';
import { FUNCTIONS, Functions } from './functions.js';
import { Observability } from './observability.js';
import { PlatformApi } from './platform-api.js';
import { planeThrottles } from './routes.js';
import { RuntimeApi } from './runtime-api.js';
import { createStorage } from './storage.js';

export interface TollgateStackProps extends StackProps {
  settings: StackSettings;
}

/** Fixed public paths of the platform, published as stack outputs. */
export const PUBLIC_PATHS = {
  token: '/oauth/token',
  jwks: '/.well-known/jwks.json',
  callback: '/elements/api-v2/oauth/callback',
} as const;

export class TollgateStack extends Stack {
  readonly platformApi: PlatformApi;
  readonly runtimeApi: RuntimeApi;
  readonly table: dynamodb.TableV2;
  readonly functions: Record<FunctionName | EventFunctionName | 'formulas', Functions['byName'][FunctionName]>;
  readonly events: Events;
  readonly formulas: Formulas;
  readonly observability: Observability;
  /** The platform's public base URL (no trailing slash), which is also the token issuer. */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: TollgateStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const storage = createStorage(this, settings);
    this.table = storage.table;
    const throttles = planeThrottles(settings.throttles, settings.throttleOverrides);

    // The APIs exist before the functions so the functions' environment can carry their URLs.
    this.platformApi = new PlatformApi(this, 'Platform', { settings, throttles: throttles.platform });
    this.runtimeApi = new RuntimeApi(this, 'Runtime', { settings, throttles: throttles.runtime });
    this.baseUrl = this.platformApi.baseUrl;

    for (const name of Object.keys(settings.functions)) {
      if (!(name in FUNCTIONS) && !(name in EVENT_FUNCTIONS) && name !== 'formulas') {
        throw new SettingsError(`tollgate:functions.${name}: no such function; functions: ${[...Object.keys(FUNCTIONS), ...Object.keys(EVENT_FUNCTIONS), 'formulas'].join(', ')}`);
      }
    }
    // The events' queues exist before any function, so every environment carries their URLs.
    const data = { settings, table: storage.table, ...(storage.key ? { key: storage.key } : {}) };
    this.events = new Events(this, 'Events', {
      ...data,
      environment: (queueUrls) =>
        functionEnvironment(settings, {
          tableName: storage.table.tableName,
          issuer: this.baseUrl,
          runtimeUrls: this.runtimeApi.urls,
          queueUrls,
          ...(storage.key ? { secretsKmsKeyId: storage.key.keyArn } : {}),
        }),
    });
    const functions = new Functions(this, 'Functions', { ...data, environment: this.events.environment });
    // The webhook receiver and redelivery record and queue deliveries.
    this.events.grantSend(functions.byName.platform, 'delivery');
    // Formula executions: started by the triggers' functions, run step by step by the state machine.
    this.formulas = new Formulas(this, 'Formulas', { ...data, environment: this.events.environment, layers: [functions.shutdownExtension] });
    for (const fn of [functions.byName.platform, this.events.functions.scheduler, this.events.functions.delivery]) this.formulas.grantStart(fn);
    this.functions = { ...functions.byName, ...this.events.functions, formulas: this.formulas.fn };
    this.platformApi.route(functions.byName);
    this.runtimeApi.route(functions.byName.proxy);

    this.observability = new Observability(this, 'Observability', {
      stage: settings.stage,
      apis: [
        { name: 'platform', api: this.platformApi.api, accessLogs: this.platformApi.accessLogs },
        { name: 'runtime', api: this.runtimeApi.api, accessLogs: this.runtimeApi.accessLogs },
      ],
      functions: [
        ...(Object.keys(FUNCTIONS) as FunctionName[]).map((name) => ({ name, fn: functions.byName[name], timeout: functions.timeouts[name] })),
        ...(Object.keys(EVENT_FUNCTIONS) as EventFunctionName[]).map((name) => ({ name, fn: this.events.functions[name], timeout: this.events.timeouts[name] })),
        { name: 'formulas', fn: this.formulas.fn, timeout: this.formulas.timeout },
      ],
      deadLetterQueues: Object.values(this.events.queues).map(({ name, deadLetters }) => ({ name: `${name}-queue`, queue: deadLetters })),
      table: storage.table,
      gsiNames: [TABLE_KEYS.gsi1.name],
      alarms: settings.alarms,
      ...(storage.key ? { encryptionKey: storage.key } : {}),
    });

    const output = (name: string, value: string, description: string) => new CfnOutput(this, name, { value, description });
    output('PlatformUrl', `${this.baseUrl}/`, 'Platform API: management, token service, connectors (the token issuer)');
    for (const [environment, url] of Object.entries(this.runtimeApi.urls)) {
      output(`Runtime${environment.charAt(0).toUpperCase()}${environment.slice(1)}Url`, `${url}/`, `Runtime of environment ${environment}: the deployed API proxies`);
    }
    output('TokenUrl', this.baseUrl + PUBLIC_PATHS.token, 'OAuth 2.0 token endpoint (client_credentials)');
    output('JwksUrl', this.baseUrl + PUBLIC_PATHS.jwks, 'JSON Web Key Set that verifies access tokens');
    output('CallbackUrl', this.baseUrl + PUBLIC_PATHS.callback, 'OAuth redirect URI to register with connector vendors');
    output('TableName', storage.table.tableName, 'DynamoDB table');
    output('DataKeySecretArn', storage.secrets.dataKey.secretArn, 'Data-encryption key material (never rotate without re-sealing, docs/deploy.md)');
    output('OrganizationSecretArn', storage.secrets.organization.secretArn, `Organization secret of ${settings.organization}`);
    output('UserSecretArn', storage.secrets.user.secretArn, `User secret of ${settings.organization}`);
    output('AdminPasswordSecretArn', storage.secrets.adminPassword.secretArn, `Password of the management user ${settings.adminEmail} (orgadmin of ${settings.organization})`);
    output('FormulasStateMachineArn', this.formulas.stateMachine.stateMachineArn, 'Step Functions state machine of formula executions (one execution per formula execution)');
    output('AlarmTopicArn', this.observability.topic.topicArn, 'SNS topic every alarm notifies');
    output('DashboardUrl', this.observability.dashboardUrl(), 'CloudWatch dashboard');
    if (storage.key) output('KmsKeyArn', storage.key.keyArn, 'Customer managed key of the table, secrets and alarm topic');
  }
}
