import type { SecretText } from '@ocf/secrets';
import type { SecretState } from '../domain/secret-lifecycle.ts';
import { SecretConflictError, SecretStoreError, type SecretStore } from '../ports.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface StoredVersion {
  readonly value: SecretText;
  /** AWSCURRENT, AWSPREVIOUS; none once two newer versions exist (Secrets Manager then hides it). */
  labels: string[];
}

export interface StoredSecret {
  readonly arn: string;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly kmsKeyId: string | undefined;
  readonly versions: Map<string, StoredVersion>;
  deletionDate: Date | undefined;
}

type Operation = keyof SecretStore;

export interface MemorySecretStore extends SecretStore {
  readonly secrets: ReadonlyMap<string, StoredSecret>;
  /** Every call, in order: what the handlers asked of the store. */
  readonly calls: Operation[];
  currentValue(name: string): SecretText | undefined;
  /** The next `times` calls of `operation` fail with `error` before they change anything. */
  failNext(operation: Operation, error: Error, times?: number): void;
  /** The recovery window ran out: Secrets Manager deleted the secret for good. */
  expireDeletion(name: string): void;
}

/**
 * For unit tests: a SecretStore in a Map that keeps Secrets Manager's rules as AWS documents
 * them, including where the emulator differs (creating over, or writing to, a secret scheduled
 * for deletion is refused). test/support/secret-store-contract.ts runs the same checks against
 * this store and against Secrets Manager on the emulator, so the two cannot drift apart.
 */
export function createMemorySecretStore(options: { now?: () => Date } = {}): MemorySecretStore {
  const now = options.now ?? (() => new Date());
  const secrets = new Map<string, StoredSecret>();
  const calls: Operation[] = [];
  const failures = new Map<Operation, { error: Error; remaining: number }>();
  let created = 0;

  /** Runs one call the way the SDK would: every failure, injected or not, is a rejected promise. */
  function run<T>(operation: Operation, body: () => T): Promise<T> {
    calls.push(operation);
    const injected = failures.get(operation);
    if (injected !== undefined && --injected.remaining === 0) failures.delete(operation);
    return new Promise((resolve) => {
      if (injected !== undefined) throw injected.error;
      resolve(body());
    });
  }

  function existing(operation: string, name: string): StoredSecret {
    const secret = secrets.get(name);
    if (secret === undefined) {
      throw new SecretConflictError('not-found', `${operation} of ${name}: it does not exist`);
    }
    return secret;
  }

  function active(operation: string, name: string): StoredSecret {
    const secret = existing(operation, name);
    if (secret.deletionDate !== undefined) {
      throw new SecretConflictError('wrong-state', `${operation} of ${name}: it is scheduled for deletion`);
    }
    return secret;
  }

  /** Same token, same value: the call already happened, answer as then. Same token, new value: refused. */
  function isReplay(operation: string, secret: StoredSecret, token: string, value: SecretText): boolean {
    const version = secret.versions.get(token);
    if (version === undefined) return false;
    if (version.value.reveal() === value.reveal()) return true;
    throw new SecretConflictError(
      'exists',
      `${operation}: version ${token} already exists with another value`,
    );
  }

  function addCurrentVersion(secret: StoredSecret, versionId: string, value: SecretText): void {
    for (const version of secret.versions.values()) {
      if (version.labels.includes('AWSPREVIOUS')) version.labels = [];
      if (version.labels.includes('AWSCURRENT')) version.labels = ['AWSPREVIOUS'];
    }
    secret.versions.set(versionId, { value, labels: ['AWSCURRENT'] });
  }

  return {
    secrets,
    calls,

    describe({ name }) {
      return run('describe', () => stateOf(secrets.get(name)));
    },

    create({ name, value, description, tags, kmsKeyId, clientRequestToken }) {
      return run('create', () => {
        const found = secrets.get(name);
        if (found?.deletionDate !== undefined) {
          throw new SecretConflictError(
            'wrong-state',
            `CreateSecret of ${name}: it is scheduled for deletion`,
          );
        }
        if (found !== undefined) {
          if (isReplay('CreateSecret', found, clientRequestToken, value)) {
            return { arn: found.arn, versionId: clientRequestToken };
          }
          throw new SecretConflictError('exists', `CreateSecret of ${name}: it already exists`);
        }
        created++;
        const secret: StoredSecret = {
          arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-${created.toString(36).padStart(6, '0')}`,
          description,
          tags: { ...tags },
          kmsKeyId,
          versions: new Map(),
          deletionDate: undefined,
        };
        addCurrentVersion(secret, clientRequestToken, value);
        secrets.set(name, secret);
        return { arn: secret.arn, versionId: clientRequestToken };
      });
    },

    restore({ name }) {
      return run('restore', () => {
        const secret = existing('RestoreSecret', name);
        secret.deletionDate = undefined;
        return { arn: secret.arn };
      });
    },

    scheduleDeletion({ name, recoveryWindowDays }) {
      return run('scheduleDeletion', () => {
        if (recoveryWindowDays < 7 || recoveryWindowDays > 30) {
          throw new SecretStoreError(`DeleteSecret of ${name} failed: RecoveryWindowInDays must be 7 to 30`, {
            retryable: false,
          });
        }
        const secret = active('DeleteSecret', name);
        secret.deletionDate = new Date(now().getTime() + recoveryWindowDays * DAY_MS);
        return { arn: secret.arn, deletionDate: secret.deletionDate };
      });
    },

    putNewVersion({ name, value, clientRequestToken }) {
      return run('putNewVersion', () => {
        const secret = active('PutSecretValue', name);
        if (!isReplay('PutSecretValue', secret, clientRequestToken, value)) {
          addCurrentVersion(secret, clientRequestToken, value);
        }
        return { arn: secret.arn, versionId: clientRequestToken };
      });
    },

    currentValue(name) {
      const versions = secrets.get(name)?.versions.values() ?? [];
      return [...versions].find((version) => version.labels.includes('AWSCURRENT'))?.value;
    },

    failNext(operation, error, times = 1) {
      failures.set(operation, { error, remaining: times });
    },

    expireDeletion(name) {
      if (secrets.get(name)?.deletionDate !== undefined) secrets.delete(name);
    },
  };
}

function stateOf(secret: StoredSecret | undefined): SecretState {
  if (secret === undefined) return { kind: 'absent' };
  if (secret.deletionDate !== undefined) {
    return { kind: 'scheduled-for-deletion', arn: secret.arn, deletionDate: secret.deletionDate };
  }
  const labelled = [...secret.versions].filter(([, version]) => version.labels.length > 0);
  return {
    kind: 'active',
    arn: secret.arn,
    currentVersionId: labelled.find(([, version]) => version.labels.includes('AWSCURRENT'))?.[0],
    versionIds: labelled.map(([versionId]) => versionId),
  };
}
