// CDK app: `npx cdk synth` / `npx cdk deploy`. cdk-nag's AWS Solutions checks
// run on every synth; unacknowledged findings fail it.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFrom } from './config.js';
import { TollgateStack } from './stack.js';

const app = new App();
const settings = settingsFrom(app.node);
new TollgateStack(app, `Tollgate-${settings.stage}`, {
  settings,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
