import type { SecretState } from '../domain/secret-lifecycle.ts';
import { SecretConflictError } from '../ports.ts';

/** Fresh reads before a conflict counts as permanent: enough to outlast any plausible race. */
const READS = 3;

/**
 * Reads the secret's state and acts on it. Between the read and the write someone else may
 * change the secret (another event about the same agent, handled at the same moment); the store
 * then answers with a SecretConflictError and we read and decide again. A conflict that outlasts
 * several fresh reads is no race but a state the lifecycle cannot handle, and goes up as it is.
 */
export async function actOnLatestState<T>(
  read: () => Promise<SecretState>,
  act: (state: SecretState) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const state = await read();
    try {
      return await act(state);
    } catch (error) {
      if (!(error instanceof SecretConflictError) || attempt >= READS) throw error;
    }
  }
}
