import type { RandomBytes } from '../domain/agent-secret.ts';
import type { AgentTokenKeyStore, SecretStore } from '../ports.ts';

/** What the credentials handlers are made of. main.ts passes the real things, tests pass fakes. */
export interface CredentialsDeps {
  readonly store: SecretStore;
  /** The key of agents' directory tokens, which go into their secrets (ADR 0016). */
  readonly agentTokenKey: AgentTokenKeyStore;
  /** The key of agents' model-gateway keys, which go into their secrets too (ADR 0017). */
  readonly modelKeyKey: AgentTokenKeyStore;
  /** The fleet's name (OCF_ENV): part of every secret's name and tags. */
  readonly environment: string;
  /** KMS key for new secrets; undefined means Secrets Manager's default key. */
  readonly kmsKeyId: string | undefined;
  /** How long a retired agent's secret stays restorable (7-30 days). */
  readonly recoveryWindowDays: number;
  readonly now: () => Date;
  readonly randomBytes: RandomBytes;
}

/** The events the credentials service handles. */
export type CredentialsTrigger = 'AgentHired' | 'AgentRetired' | 'CredentialsRotationRequested';
