import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { NAG_PACK } from '../src/nag.ts';
import { sharedFleet } from './support/fleet.ts';

// The shared synthesis runs the AwsSolutions pack and throws on any finding left unacknowledged.
const fleet = sharedFleet();

interface Acknowledgement {
  readonly path: string;
  readonly finding: string;
  readonly reason: string;
}
const acknowledgements: Acknowledgement[] = fleet.stack.node.findAll().flatMap((construct) =>
  construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
    .filter(([finding]) => finding.startsWith(`${NAG_PACK}::`))
    .map(([finding, reason]) => ({
      path: construct.node.path.slice(fleet.stack.node.path.length + 1),
      finding: finding.slice(NAG_PACK.length + 2),
      reason,
    })),
);

describe('cdk-nag (AwsSolutions)', () => {
  it('passes: the validation report holds no finding at all, error or warning', () => {
    const report = JSON.parse(readFileSync(path.join(fleet.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    assert.deepEqual(
      report.pluginReports.flatMap((plugin) => plugin.violations),
      [],
    );
  });

  it('fails synthesis on a finding nobody acknowledged (so the pass above means something)', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'ocf-nag-'));
    const app = new App({ outdir });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new sqs.Queue(new Stack(app, 'Careless'), 'NoDeadLetterQueue', { enforceSSL: false });
    assert.throws(() => app.synth(), /Validation failed/);
    const report = readFileSync(path.join(outdir, 'validation-report.json'), 'utf8');
    assert.match(report, /AwsSolutions-SQS3/);
  });

  it('acknowledges each finding with a reason of its own, written for that rule', (t) => {
    assert.ok(acknowledgements.length > 0);
    const rulesByReason = new Map<string, Set<string>>();
    for (const { path: where, finding, reason } of acknowledgements) {
      assert.ok(reason.length >= 40, `${where} ${finding}: "${reason}" says too little`);
      const rule = finding.replace(/\[.*$/, '');
      rulesByReason.set(reason, (rulesByReason.get(reason) ?? new Set()).add(rule));
    }
    for (const [reason, rules] of rulesByReason) {
      assert.equal(rules.size, 1, `one reason serves ${[...rules].join(' and ')}: "${reason}"`);
    }
    t.diagnostic(`${acknowledgements.length} acknowledgements, ${rulesByReason.size} distinct reasons`);
  });
});

describe('synthesis without Docker', () => {
  it('fingerprints the three images as ARM64 assets and leaves building them to cdk deploy', () => {
    const assets = JSON.parse(
      readFileSync(path.join(fleet.outdir, `${fleet.stack.artifactId}.assets.json`), 'utf8'),
    ) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile?: string; platform: string } }>;
    };
    const sources = Object.values(assets.dockerImages).map(({ source }) => [
      path.relative(path.resolve(import.meta.dirname, '../..'), source.directory) || '.',
      source.dockerFile,
      source.platform,
    ]);
    assert.deepEqual(sources.sort(), [
      ['.', 'agent-container/Dockerfile', 'linux/arm64'],
      ['.', 'infra/docker/fleet.Dockerfile', 'linux/arm64'],
      ['infra/docker/element-web', undefined, 'linux/arm64'],
      ['infra/docker/synapse', undefined, 'linux/arm64'],
    ]);
  });
});
