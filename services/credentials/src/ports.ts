import { FleetError } from '@ocf/errors';
import type { SecretText } from '@ocf/secrets';
import type { SecretState } from './domain/secret-lifecycle.ts';

/** Any call can be cancelled: the consumer aborts a handler that overruns, or one still running at shutdown. */
export interface Call {
  readonly signal?: AbortSignal | undefined;
}

export interface SecretRef extends Call {
  readonly name: string;
}

export interface CreateSecretRequest extends SecretRef {
  readonly value: SecretText;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Absent: Secrets Manager's default key for the account (`aws/secretsmanager`). */
  readonly kmsKeyId?: string | undefined;
  /** Becomes the first version's id. The same token with the same value is a no-op. */
  readonly clientRequestToken: string;
}

export interface PutNewVersionRequest extends SecretRef {
  readonly value: SecretText;
  /** Becomes the new version's id, which then carries AWSCURRENT. */
  readonly clientRequestToken: string;
}

/**
 * Where agents' secrets live: Secrets Manager (adapters/secrets-manager.ts), or a Map in unit
 * tests (adapters/memory-secret-store.ts). Narrow on purpose, these are the only moves the
 * lifecycle makes. Nothing here reads a value back: this service writes secrets, never reads them.
 */
export interface SecretStore {
  describe(request: SecretRef): Promise<SecretState>;
  create(request: CreateSecretRequest): Promise<{ arn: string; versionId: string }>;
  /** Cancels a scheduled deletion. */
  restore(request: SecretRef): Promise<{ arn: string }>;
  scheduleDeletion(
    request: SecretRef & { readonly recoveryWindowDays: number },
  ): Promise<{ arn: string; deletionDate: Date }>;
  putNewVersion(request: PutNewVersionRequest): Promise<{ arn: string; versionId: string }>;
}

/**
 * The secret was not in the state the call needed: it exists already (or, for a new version,
 * a version with that token does), it is gone, or it is scheduled for deletion. Someone changed it
 * between our read and our write; read again and decide again. Not retryable by itself: if it
 * persists across fresh reads, the secret is in a state the lifecycle cannot handle.
 */
export class SecretConflictError extends FleetError {
  readonly conflict: 'exists' | 'not-found' | 'wrong-state';

  constructor(conflict: SecretConflictError['conflict'], message: string, cause?: unknown) {
    super('SECRET_CONFLICT', message, { retryable: false, cause });
    this.conflict = conflict;
  }
}

/** The secret store failed a call; `retryable` says whether trying again later may help. */
export class SecretStoreError extends FleetError {
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(options.retryable ? 'SECRET_STORE_UNAVAILABLE' : 'SECRET_STORE_REJECTED', message, options);
  }
}

/**
 * The fleet's agent-token key (ADR 0016): the directory checks agents' read tokens with it, this
 * service makes them with it. Read, or made once when there is none yet (the first hire).
 */
export interface AgentTokenKeyStore {
  getOrCreate(call: Call): Promise<SecretText>;
}
