// Synthesizes the stack offline for assertion tests: bundling skipped, cdk-nag's
// AWS Solutions checks on, the validation report read back.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFrom } from '../../infra/config.js';
import { TollgateStack } from '../../infra/stack.js';

export interface Acknowledgement {
  ruleName: string;
  acknowledgedId: string;
  reason: string;
  violatingConstructs: { constructPath: string }[];
}

export interface Synthesized {
  stack: TollgateStack;
  template: Template;
  /** The synth error (cdk-nag findings fail the synth), if any. */
  error: unknown;
  acknowledgements: Acknowledgement[];
  resources(type: string): [string, { Properties: Record<string, any>; DeletionPolicy?: string }][]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function synthesize(context: Record<string, unknown>, env?: Environment): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'tollgate-synth-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
    const stack = new TollgateStack(app, 'Tollgate-test', { settings: settingsFrom(app.node), ...(env ? { env } : {}) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let error: unknown;
    let json: unknown;
    try {
      const assembly = app.synth();
      json = assembly.getStackArtifact(stack.artifactId).template;
    } catch (caught) {
      error = caught;
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { suppressedViolations: Acknowledgement[] }[];
    };
    const template = json ? Template.fromJSON(json as Record<string, unknown>) : Template.fromJSON({ Resources: {} });
    return {
      stack,
      template,
      error,
      acknowledgements: report.pluginReports.flatMap((plugin) => plugin.suppressedViolations),
      resources: (type) => Object.entries(template.findResources(type)) as never,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
