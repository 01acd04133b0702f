// The CDK app: `cdk synth` / `cdk deploy` run this (see cdk.json and docs/deploy.md).
//   cdk deploy -c environment=prod -c modelArns=arn:aws:bedrock:...,... [-c certificateArn=...]
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FleetStack, settingsFromContext } from '../src/index.ts';

const app = new App();
// Every AwsSolutions finding fails synthesis unless acknowledged, with its reason, on the
// resource it concerns.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
const { region, ...settings } = settingsFromContext(app.node);
new FleetStack(app, `ocf-${settings.environment}`, {
  ...settings,
  description: `Open-Claw-Fleet ${settings.environment}: services, agents, homeserver, routing, dashboards`,
  // The account comes from the deploying credentials; without any (CI) the template is
  // account-agnostic, which is all synth needs.
  env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region },
});
