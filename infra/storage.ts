// The stack's state: the optional customer managed key, the table and the
// platform secrets. Created directly in the stack's scope on purpose: their
// logical ids stay what they have always been, so a stack deployed before the
// constructs were split keeps its table and secrets (a renamed retained secret
// would collide with its own name on the next deploy).
import { Aws, RemovalPolicy, Token, Validations, type Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ADMIN_PASSWORD_SECRET } from '../shared/auth/bootstrap.js';
import { orgSecretNames } from '../shared/auth/organizations.js';
import { TABLE_KEYS } from '../shared/store/schema.js';
import { SettingsError, type StackSettings } from './config.js';
import { secretPrefix } from './environment.js';

export interface Storage {
  key?: kms.Key;
  table: dynamodb.TableV2;
  secrets: { dataKey: secretsmanager.Secret; organization: secretsmanager.Secret; user: secretsmanager.Secret; adminPassword: secretsmanager.Secret };
}

export function createStorage(stack: Stack, settings: StackSettings): Storage {
  const removalPolicy = settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  // One customer managed key for the table, the secrets and the alarm topic, when asked for.
  const key =
    settings.encryption === 'customer-managed'
      ? new kms.Key(stack, 'EncryptionKey', {
          alias: `alias/tollgate-${settings.stage}`,
          description: `Tollgate ${settings.stage}: table, secrets and alarm topic`,
          enableKeyRotation: true,
          removalPolicy,
        })
      : undefined;
  if (key && Token.isUnresolved(stack.region)) {
    throw new SettingsError('tollgate:encryption=customer-managed needs the stack region: deploy with a region configured (CDK_DEFAULT_REGION / AWS profile)');
  }
  if (key) {
    // CloudWatch alarms publish to the encrypted topic as the CloudWatch service
    // (SNS developer guide, "compatibility with AWS services"); only this stack's alarms.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, `*` is this key
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:tollgate-${settings.stage}-*` },
        },
      }),
    );
  }

  const table = new dynamodb.TableV2(stack, 'Table', {
    partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: settings.retainData,
    encryption: key ? dynamodb.TableEncryptionV2.customerManagedKey(key) : dynamodb.TableEncryptionV2.awsManagedKey(),
    timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
    removalPolicy,
    globalSecondaryIndexes: [
      {
        indexName: TABLE_KEYS.gsi1.name,
        partitionKey: { name: TABLE_KEYS.gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: TABLE_KEYS.gsi1.sortKey, type: dynamodb.AttributeType.STRING },
      },
    ],
  });

  // Secrets Manager generates every platform secret; no value passes through CloudFormation.
  const prefix = secretPrefix(settings);
  const generated = (idName: string, secretName: string, description: string) =>
    new secretsmanager.Secret(stack, idName, {
      secretName: prefix + secretName,
      description,
      removalPolicy,
      ...(key ? { encryptionKey: key } : {}),
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
  const names = orgSecretNames(settings.organization);
  const secrets = {
    dataKey: generated('DataKey', 'data-key', 'Tollgate data-encryption key material (AES-256-GCM via HKDF)'),
    organization: generated('OrganizationSecret', names.organization, 'Tollgate organization secret'),
    user: generated('UserSecret', names.user, 'Tollgate user secret'),
    adminPassword: generated('AdminPassword', ADMIN_PASSWORD_SECRET, `Password of the first management user (${settings.adminEmail}), orgadmin of ${settings.organization}`),
  };
  for (const secret of Object.values(secrets)) {
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Platform secrets and the first management password are credentials handed to people and API clients, and the data key seals stored values; rotating any of them is an explicit operator action (docs/deploy.md), not an automatic schedule that would lock clients out or orphan sealed data.',
    });
  }
  return { ...(key ? { key } : {}), table, secrets };
}
