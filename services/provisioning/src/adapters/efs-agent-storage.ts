import {
  CreateAccessPointCommand,
  DeleteAccessPointCommand,
  DescribeAccessPointsCommand,
  type AccessPointDescription,
  type EFSClient,
} from '@aws-sdk/client-efs';
import { MANAGED_BY, TAGS, type AgentStorageRef } from '../domain/agent-task-definition.ts';
import type { Call } from '../ports.ts';
import { abortable, toTaskRunnerError } from './aws-errors.ts';

export interface EfsAgentStorageOptions {
  readonly efs: Pick<EFSClient, 'send'>;
  readonly environment: string;
  readonly fileSystemId: string;
  /** Each agent's directory is `<rootPath>/<agentId>` on the file system. */
  readonly rootPath?: string;
  /** The POSIX identity the agent's files belong to (the agent image's user). */
  readonly uid?: number;
  readonly gid?: number;
  /** How long a listing of the file system's access points is trusted. */
  readonly listingTtlMs?: number;
}

/**
 * Each agent's private storage: an EFS access point rooted at `/agents/<agentId>`, created
 * with mode 0700 on first use. A task that mounts through it sees only that directory, so no
 * agent can read another's. Releasing deletes the access point and keeps the directory, where a
 * re-hire finds its memory again.
 */
export interface EfsAgentStorage {
  ensure(agentId: string, idempotencyToken: string, call?: Call): Promise<AgentStorageRef>;
  release(agentId: string, call?: Call): Promise<{ archiveLocation: string }>;
  /** The access point of an agent, if it has one (for tests and operators). */
  find(agentId: string, call?: Call): Promise<AccessPointDescription | undefined>;
}

export function createEfsAgentStorage(options: EfsAgentStorageOptions): EfsAgentStorage {
  const { efs, fileSystemId, environment } = options;
  const rootPath = (options.rootPath ?? '/agents').replace(/\/+$/, '');
  const uid = options.uid ?? 1000;
  const gid = options.gid ?? 1000;
  // Access point ids by agent, from the last listing: launches of known agents cost no call, and
  // for a while after a listing an agent missing from it has none (no listing per new agent).
  const known = new Map<string, string>();
  const listingTtlMs = options.listingTtlMs ?? 60_000;
  let listedAt = -Infinity;

  const pathOf = (agentId: string): string => `${rootPath}/${agentId}`;

  async function listAll(call?: Call): Promise<AccessPointDescription[]> {
    const all: AccessPointDescription[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await efs.send(
          new DescribeAccessPointsCommand({
            FileSystemId: fileSystemId,
            MaxResults: 100,
            NextToken: nextToken,
          }),
          abortable(call?.signal),
        );
        all.push(...(page.AccessPoints ?? []));
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
    } catch (error) {
      throw toTaskRunnerError(`DescribeAccessPoints of ${fileSystemId}`, error);
    }
    return all;
  }

  const agentOf = (ap: AccessPointDescription): string | undefined =>
    ap.Tags?.find((t) => t.Key === TAGS.agentId)?.Value;

  async function find(agentId: string, call?: Call): Promise<AccessPointDescription | undefined> {
    const all = await listAll(call);
    listedAt = Date.now();
    known.clear();
    let found: AccessPointDescription | undefined;
    for (const ap of all) {
      const owner = agentOf(ap);
      if (owner === undefined || ap.AccessPointId === undefined || ap.LifeCycleState === 'deleting') continue;
      if (ap.RootDirectory?.Path !== pathOf(owner)) continue;
      known.set(owner, ap.AccessPointId);
      if (owner === agentId) found = ap;
    }
    return found;
  }

  return {
    find,

    async ensure(agentId, idempotencyToken, call) {
      const cached = known.get(agentId);
      if (cached !== undefined) return { fileSystemId, accessPointId: cached };
      if (Date.now() - listedAt > listingTtlMs) {
        const existing = await find(agentId, call);
        if (existing?.AccessPointId !== undefined)
          return { fileSystemId, accessPointId: existing.AccessPointId };
      }
      try {
        const created = await efs.send(
          new CreateAccessPointCommand({
            ClientToken: idempotencyToken,
            FileSystemId: fileSystemId,
            PosixUser: { Uid: uid, Gid: gid },
            RootDirectory: {
              Path: pathOf(agentId),
              CreationInfo: { OwnerUid: uid, OwnerGid: gid, Permissions: '0700' },
            },
            Tags: [
              { Key: 'Name', Value: `ocf-${environment}-agent-${agentId}` },
              { Key: TAGS.agentId, Value: agentId },
              { Key: TAGS.environment, Value: environment },
              { Key: TAGS.managedBy, Value: MANAGED_BY },
            ],
          }),
          abortable(call?.signal),
        );
        if (created.AccessPointId === undefined) throw new Error('CreateAccessPoint returned no id');
        known.set(agentId, created.AccessPointId);
        return { fileSystemId, accessPointId: created.AccessPointId };
      } catch (error) {
        throw toTaskRunnerError(`CreateAccessPoint for agent ${agentId}`, error);
      }
    },

    async release(agentId, call) {
      const existing = await find(agentId, call);
      if (existing?.AccessPointId !== undefined) {
        try {
          await efs.send(
            new DeleteAccessPointCommand({ AccessPointId: existing.AccessPointId }),
            abortable(call?.signal),
          );
        } catch (error) {
          if ((error as { name?: string }).name !== 'AccessPointNotFound') {
            throw toTaskRunnerError(`DeleteAccessPoint for agent ${agentId}`, error);
          }
        }
      }
      known.delete(agentId);
      return { archiveLocation: `efs://${fileSystemId}${pathOf(agentId)}` };
    },
  };
}
