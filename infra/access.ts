// What each function may do, as IAM actions. The lists are exactly the calls
// the code makes: test/infra/access.test.ts scans shared/ and functions/ for
// AWS SDK commands and fails when one is missing here (AccessDenied on AWS
// would otherwise be the first sign) or when an action here is no longer used.

/** SDK command class -> IAM action, for the DynamoDB document client and the low-level client. */
export const DYNAMODB_COMMAND_ACTIONS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  GetItemCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchGetItemCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
  ScanCommand: 'dynamodb:Scan',
};

export const SECRETS_COMMAND_ACTIONS: Record<string, string> = {
  GetSecretValueCommand: 'secretsmanager:GetSecretValue',
  PutSecretValueCommand: 'secretsmanager:PutSecretValue',
  // CreateSecret with Tags also needs TagResource.
  CreateSecretCommand: 'secretsmanager:CreateSecret',
  DeleteSecretCommand: 'secretsmanager:DeleteSecret',
};

/** The connector events' queues: sending is all the code does; consuming is the Lambda event source's (its own grant). */
export const SQS_COMMAND_ACTIONS: Record<string, string> = {
  SendMessageCommand: 'sqs:SendMessage',
};

/** Formulas: starting an execution of the state machine is all the functions do; the state machine invokes the step function. */
export const SFN_COMMAND_ACTIONS: Record<string, string> = {
  StartExecutionCommand: 'states:StartExecution',
};

/** Functions that start formula executions (triggers), on the formulas state machine only. */
export const STATE_MACHINE_START_ACTIONS = ['states:StartExecution'];

/** SDK calls that only the local runtime makes (dynalite table setup); never granted. */
export const LOCAL_ONLY_COMMANDS = new Set(['CreateTableCommand', 'DescribeTableCommand']);

/** Table and gsi1: every item operation shared/store/table.ts issues. No Scan, no table management. */
export const TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'];

/** Every function reads secrets (data key, platform secrets, signing keys, provider credentials). */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue'];

/** The signing keys' secret (shared/oauth/keys.ts's SIGNING_KEYS_SECRET; test/infra/roles.test.ts checks they agree). */
export const SIGNING_KEYS_SECRET = 'jwt-keys';

/** What creating the signing keys takes: create (with tags) and put, never delete. */
export const SIGNING_KEY_WRITE_ACTIONS = ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'];

/** Functions that create or replace any secret (FUNCTIONS[name].writesSecrets 'all'). */
export const SECRET_WRITE_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:DeleteSecret',
  'secretsmanager:TagResource',
];

/** Functions that queue poll runs or delivery attempts, on the queues they send to only. */
export const QUEUE_SEND_ACTIONS = ['sqs:SendMessage'];

/**
 * With the customer managed key: what DynamoDB and Secrets Manager need from
 * the caller to use it, and only through those two services (kms:ViaService).
 */
export const KMS_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];

/** With the customer managed key: what sending to an encrypted queue needs, only through SQS. */
export const QUEUE_KMS_SEND_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];
