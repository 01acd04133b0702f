import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RestoreSecretCommand,
  type DescribeSecretResponse,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretState } from '../domain/secret-lifecycle.ts';
import { SecretStoreError, type SecretStore } from '../ports.ts';
import { toSecretStoreError } from './secrets-manager-errors.ts';

/** The SecretStore on AWS Secrets Manager (or an emulator, through AWS_ENDPOINT_URL). */
export function createSecretsManagerStore(client: SecretsManagerClient): SecretStore {
  /** Runs one call; any failure comes back as a SecretConflictError or a SecretStoreError. */
  async function withStoreErrors<T>(operation: string, name: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toSecretStoreError(operation, name, error);
    }
  }

  return {
    async describe({ name, signal }) {
      let described: DescribeSecretResponse;
      try {
        described = await client.send(new DescribeSecretCommand({ SecretId: name }), abortable(signal));
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return { kind: 'absent' };
        throw toSecretStoreError('DescribeSecret', name, error);
      }
      return stateOf(name, described);
    },

    async create({ name, value, description, tags, kmsKeyId, clientRequestToken, signal }) {
      const created = await withStoreErrors('CreateSecret', name, () =>
        client.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: value.reveal(),
            Description: description,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            KmsKeyId: kmsKeyId,
            ClientRequestToken: clientRequestToken,
          }),
          abortable(signal),
        ),
      );
      return {
        arn: required('CreateSecret', name, created.ARN),
        versionId: created.VersionId ?? clientRequestToken,
      };
    },

    async restore({ name, signal }) {
      const restored = await withStoreErrors('RestoreSecret', name, () =>
        client.send(new RestoreSecretCommand({ SecretId: name }), abortable(signal)),
      );
      return { arn: required('RestoreSecret', name, restored.ARN) };
    },

    async scheduleDeletion({ name, recoveryWindowDays, signal }) {
      const deleted = await withStoreErrors('DeleteSecret', name, () =>
        client.send(
          new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: recoveryWindowDays }),
          abortable(signal),
        ),
      );
      return {
        arn: required('DeleteSecret', name, deleted.ARN),
        deletionDate: required('DeleteSecret', name, deleted.DeletionDate),
      };
    },

    async putNewVersion({ name, value, clientRequestToken, signal }) {
      const put = await withStoreErrors('PutSecretValue', name, () =>
        client.send(
          new PutSecretValueCommand({
            SecretId: name,
            SecretString: value.reveal(),
            ClientRequestToken: clientRequestToken,
          }),
          abortable(signal),
        ),
      );
      return {
        arn: required('PutSecretValue', name, put.ARN),
        versionId: put.VersionId ?? clientRequestToken,
      };
    },
  };
}

function stateOf(name: string, described: DescribeSecretResponse): SecretState {
  const arn = required('DescribeSecret', name, described.ARN);
  // DescribeSecret answers for a secret scheduled for deletion too; DeletedDate is when
  // Secrets Manager will delete it (the end of the recovery window), not when it was asked to.
  if (described.DeletedDate !== undefined) {
    return { kind: 'scheduled-for-deletion', arn, deletionDate: described.DeletedDate };
  }
  const stages = Object.entries(described.VersionIdsToStages ?? {});
  return {
    kind: 'active',
    arn,
    currentVersionId: stages.find(([, labels]) => labels.includes('AWSCURRENT'))?.[0],
    versionIds: stages.filter(([, labels]) => labels.length > 0).map(([versionId]) => versionId),
  };
}

function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

function required<T>(operation: string, name: string, value: T | undefined): T {
  if (value === undefined) {
    throw new SecretStoreError(`${operation} of ${name} answered without a field it always returns`, {
      retryable: false,
    });
  }
  return value;
}
