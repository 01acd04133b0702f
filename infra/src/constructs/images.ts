import path from 'node:path';
import { IgnoreMode } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * Left out of the build context (Docker ignore syntax): dependencies are installed inside the
 * image, and what is not source (tool caches, local backends, docs, the CDK app itself) would only
 * make every unrelated change a new image. Workspace manifests stay: pnpm checks the lockfile
 * against all of them.
 */
const NOT_IN_IMAGES = [
  '**/node_modules',
  '.git',
  '.tools',
  '.local-stack',
  '**/cdk.out',
  '**/*.tsbuildinfo',
  'coverage',
  '.env',
  'docs',
  'agent-container/.openclaw-plugins',
  'infra/**',
  '!infra/package.json',
  '!infra/docker/**',
  '**/test/**',
  'tests/**',
  '!tests/package.json',
  'bench/**',
  '!bench/package.json',
];

/**
 * The fleet's container images, built from this repository by `cdk deploy` (never by `cdk
 * synth`, which only fingerprints the sources) for ARM64, which Fargate runs for less.
 */
export class FleetImages extends Construct {
  /** The five services: one image, each task picks its service by command. */
  readonly services: ecs.ContainerImage;
  /** What an agent task runs: agent-container's image (OpenClaw, its plugins, the entrypoint). */
  readonly agent: ecs.ContainerImage;
  /** Synapse with the fleet's start script (config from the task's settings and secrets). */
  readonly homeserver: ecs.ContainerImage;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const fromRepo = (assetId: string, dockerfile: string, buildArgs: Record<string, string> = {}) =>
      ecs.ContainerImage.fromDockerImageAsset(
        new ecrAssets.DockerImageAsset(this, assetId, {
          directory: REPO_ROOT,
          file: dockerfile,
          buildArgs,
          exclude: NOT_IN_IMAGES,
          ignoreMode: IgnoreMode.DOCKER,
          platform: ecrAssets.Platform.LINUX_ARM64,
          displayName: assetId,
        }),
      );
    this.services = fromRepo('Services', 'infra/docker/fleet.Dockerfile');
    // Agents use Bedrock on AWS, so the image carries OpenClaw's Bedrock provider.
    this.agent = fromRepo('Agent', 'agent-container/Dockerfile', { WITH_BEDROCK: '1' });
    this.homeserver = ecs.ContainerImage.fromDockerImageAsset(
      new ecrAssets.DockerImageAsset(this, 'Homeserver', {
        directory: path.join(REPO_ROOT, 'infra/docker/synapse'),
        platform: ecrAssets.Platform.LINUX_ARM64,
        displayName: 'Homeserver',
      }),
    );
  }
}
