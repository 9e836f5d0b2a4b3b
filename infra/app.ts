// CDK app: `npx cdk synth` / `npx cdk deploy`. Settings come from the
// `tollgate:*` context values (infra/config.ts). cdk-nag's AWS Solutions
// checks run on every synth; an unacknowledged finding fails it.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SettingsError, settingsFrom } from './config.js';
import { TollgateStack } from './stack.js';

const app = new App();
try {
  const settings = settingsFrom(app.node);
  new TollgateStack(app, `Tollgate-${settings.stage}`, {
    settings,
    description: `Tollgate API gateway (${settings.stage})`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
