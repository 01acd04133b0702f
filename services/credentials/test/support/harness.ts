import { PublishError, type EventHandler, type HandlerContext } from '@ocf/runtime';
import {
  createEvent,
  type DraftEvent,
  type EventDataInput,
  type EventType,
  type FleetEvent,
} from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { parseAgentSecretValue, SecretText } from '@ocf/secrets';
import { createMemoryTokenKey } from '../../src/adapters/agent-token-key.ts';
import { createMemorySecretStore } from '../../src/adapters/memory-secret-store.ts';
import { createHandlers } from '../../src/handlers/index.ts';
import type { CredentialsTrigger } from '../../src/handlers/deps.ts';

export const ENVIRONMENT = 'test';
export const START = new Date('2026-11-25T10:00:00.000Z');
/** The agent-token key the handlers sign agents' directory tokens with. */
export const TOKEN_KEY = new SecretText('harness-agent-token-key-0123456789abcdef');
export const MODEL_KEY_KEY = new SecretText('harness-model-key-key-0123456789abcdef');

export interface HarnessOptions {
  readonly recoveryWindowDays?: number;
  readonly kmsKeyId?: string;
  readonly maxAttempts?: number;
}

/**
 * The credentials handlers over an in-memory store, a memory logger, a fake clock, a counting
 * random source and a recording publisher: `deliver` plays the consumer's part for one delivery.
 * The consumer's dedupe is left out on purpose: these tests are about what happens when it lets
 * a repeat through (a lease that ran out, a crash before `complete`).
 */
export function credentialsHarness(options: HarnessOptions = {}) {
  const clock = { now: START };
  const store = createMemorySecretStore({ now: () => clock.now });
  const logger = createMemoryLogger();
  const published: DraftEvent[] = [];
  let publishFailures = 0;
  let draws = 0;

  const handlers = createHandlers({
    store,
    agentTokenKey: createMemoryTokenKey(TOKEN_KEY),
    modelKeyKey: createMemoryTokenKey(MODEL_KEY_KEY),
    environment: ENVIRONMENT,
    kmsKeyId: options.kmsKeyId,
    recoveryWindowDays: options.recoveryWindowDays ?? 7,
    now: () => clock.now,
    // Distinct on every draw, so two values can be told apart; not random, so failures reproduce.
    randomBytes: (size) => {
      draws++;
      return Buffer.alloc(size, `draw-${draws}|`);
    },
  });

  /** A trigger event as it reaches the handler, by default from an outside publisher. */
  function event<T extends CredentialsTrigger>(
    type: T,
    data: EventDataInput<T>,
    eventId?: string,
  ): FleetEvent<T> {
    const draft = createEvent(type, data, eventId === undefined ? {} : { eventId });
    return { ...draft, source: 'hr.example' };
  }

  async function deliver<T extends CredentialsTrigger>(
    trigger: FleetEvent<T>,
    delivery: { receiveCount?: number } = {},
  ): Promise<void> {
    const context: HandlerContext = {
      logger: logger.with({ eventId: trigger.metadata.eventId, eventType: trigger.type }),
      signal: new AbortController().signal,
      receiveCount: delivery.receiveCount ?? 1,
      isFinalAttempt: (delivery.receiveCount ?? 1) >= (options.maxAttempts ?? 3),
      emit: <E extends EventType>(type: E, data: EventDataInput<E>) => {
        if (publishFailures > 0) {
          publishFailures--;
          return Promise.reject(new PublishError(new Map([['pending', 'InternalFailure']]), 5));
        }
        const emitted = createEvent(type, data, {
          correlationId: trigger.metadata.correlationId,
          causationId: trigger.metadata.eventId,
        });
        published.push(emitted);
        return Promise.resolve(emitted);
      },
    };
    const handler = handlers[trigger.type] as EventHandler<T>;
    await handler(trigger, context);
  }

  return {
    store,
    logger,
    published,
    clock,
    event,
    deliver,
    /** Delivers and returns the error the handler threw (fails if it threw none). */
    async deliverExpectingFailure<T extends CredentialsTrigger>(
      trigger: FleetEvent<T>,
      delivery: { receiveCount?: number } = {},
    ): Promise<Error> {
      try {
        await deliver(trigger, delivery);
      } catch (error) {
        return error as Error;
      }
      throw new Error(`${trigger.type} was expected to fail but succeeded`);
    },
    /** The next `count` publishes fail, as if the process died between the AWS call and the publish. */
    failPublishes(count = 1) {
      publishFailures = count;
    },
    publishedOf<E extends EventType>(type: E): DraftEvent<E>[] {
      return published.filter((e): e is DraftEvent<E> => e.type === type);
    },
    /** Every directory token (and Matrix secret) any version of any secret holds: what must never leak. */
    passwords(): string[] {
      return [...store.secrets.values()].flatMap((secret) =>
        [...secret.versions.values()].flatMap((version) => {
          const value = parseAgentSecretValue(version.value);
          return [
            ...(value.matrix?.password === undefined ? [] : [value.matrix.password.reveal()]),
            ...(value.matrix?.accessToken === undefined ? [] : [value.matrix.accessToken.reveal()]),
            ...(value.directory ? [value.directory.token.reveal()] : []),
            ...(value.model ? [value.model.key.reveal()] : []),
          ];
        }),
      );
    },
  };
}

export const hired = (agentId: string) => ({
  agentId,
  name: 'Ada Lovelace',
  title: 'Staff Engineer',
  level: 'ic' as const,
  department: 'Engineering',
  managerId: 'ceo' as const,
});
