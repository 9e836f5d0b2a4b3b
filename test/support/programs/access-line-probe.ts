// Child program for test/unit/metrics.test.ts: the access line two ways, for
// the same Lambda context and fields: through Powertools' Logger with the
// context injected, and as writeAccessLine writes it. Both land on stdout.
import type { Context } from 'aws-lambda';
import { logger, writeAccessLine } from '../../../shared/log.js';

const context = {
  functionName: 'tollgate-probe',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:tollgate-probe',
  memoryLimitInMB: '1024',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
} as Context;
const fields = { fn: 'probe', method: 'GET', path: '/items', status: 200, ms: 0.42, Requests: 1 };

for (let i = 0; i < 2; i++) {
  logger.addContext(context);
  logger.info('request', fields);
  writeAccessLine(context, fields);
}
