import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { errorMessage, isRetryable } from '@ocf/errors';
import {
  isEventType,
  parseEventMessage,
  type AnyFleetEvent,
  type CreateEventOptions,
  type DraftEvent,
  type EventDataInput,
  type EventType,
  type FleetEvent,
  type Rejection,
  type RejectionReason,
} from '@ocf/events';
import type { Logger } from '@ocf/logging';
import { backoffDelayMs, sleep, type BackoffPolicy } from './backoff.ts';
import { createCallBatcher, DEFAULT_BATCH_LINGER_MS } from './call-batcher.ts';
import type { DedupeStore } from './dedupe.ts';
import { deliveryPolicy } from './delivery.ts';
import type { EventPublisher } from './publisher.ts';

/** What a handler gets besides the event. */
export interface HandlerContext {
  /** Bound to this event's eventId, correlationId and (when present) agentId. */
  readonly logger: Logger;
  /** Aborted when the handler overruns its time or the service stops. */
  readonly signal: AbortSignal;
  /** How many times SQS has delivered this message (1 on the first delivery). */
  readonly receiveCount: number;
  /**
   * True when a retryable failure now would send the message to the DLQ instead of retrying:
   * the moment for a handler to report that its step gave up.
   */
  readonly isFinalAttempt: boolean;
  /** Publishes an event caused by this one: same correlation id, causation = this event. */
  emit<T extends EventType>(type: T, data: EventDataInput<T>): Promise<DraftEvent<T>>;
}

export type EventHandler<T extends EventType> = (
  event: FleetEvent<T>,
  context: HandlerContext,
) => Promise<void>;
export type HandlerMap = { readonly [T in EventType]?: EventHandler<T> & RejectionAnswer };

/** What a rejection handler gets: enough to answer the publisher, nothing to act on. */
export interface RejectionContext {
  readonly logger: Logger;
  readonly receiveCount: number;
  /** Publishes an answer: correlated with the request when its correlation id could be read. */
  emit<T extends EventType>(type: T, data: EventDataInput<T>): Promise<DraftEvent<T>>;
}

/**
 * Called for a message of the handler's type that failed to parse after its envelope was read
 * (wrong metadata, version or data; `rejection.request` holds what could be read), before it
 * goes to the DLQ with its reason as any rejected message does. For a consumer that owes an
 * outside publisher an answer (the directory's HireRejected). A retryable failure here retries
 * the message later, like a handler's; anything else still dead-letters it.
 */
export type RejectionHandler = (rejection: Rejection, context: RejectionContext) => Promise<void>;

export interface RejectionAnswer {
  readonly onRejected?: RejectionHandler;
}

/** A handler that also answers the messages of its type that could not be parsed. */
export function answeringRejections<T extends EventType>(
  handler: EventHandler<T>,
  onRejected: RejectionHandler,
): EventHandler<T> & RejectionAnswer {
  return Object.assign(handler, { onRejected });
}

/** Why a message went to the DLQ: the parser's reasons, plus the consumer's own. */
export type DeadLetterReason = RejectionReason | 'no-handler' | 'handler-rejected' | 'retries-exhausted';

export type Outcome =
  | { kind: 'handled'; eventId: string; type: EventType }
  | { kind: 'duplicate'; eventId: string; type: EventType }
  | { kind: 'retry-later'; eventId: string; type: EventType; delaySeconds: number; error: string }
  /** This worker's lease ran out and another worker took the event over; it was left to that one. */
  | { kind: 'lease-lost'; eventId: string; type: EventType }
  | { kind: 'dead-lettered'; reason: DeadLetterReason; message: string; eventId?: string | undefined };

/** Message attributes a dead-lettered message carries, for whoever reads the DLQ. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'ocf.failure.reason',
  message: 'ocf.failure.message',
  consumer: 'ocf.failure.consumer',
  failedAt: 'ocf.failure.at',
} as const;

export interface QueueConsumerOptions {
  /** The consuming service; part of the dedupe key, so each service handles an event once. */
  readonly name: string;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly handlers: HandlerMap;
  readonly dedupe: DedupeStore;
  readonly publisher?: EventPublisher;
  readonly logger: Logger;
  /** Messages handled at once. */
  readonly concurrency?: number;
  readonly waitTimeSeconds?: number;
  /**
   * The queue's visibility timeout: given at receive and renewed by the heartbeat while a handler
   * runs. The heartbeat, the dedupe lease and the in-progress retry delay derive from it
   * (delivery.ts), as does the queue's maxReceiveCount.
   */
  readonly visibilityTimeoutSeconds?: number;
  /** A handler running longer is aborted and its message retried later. */
  readonly handlerTimeoutMs?: number;
  /**
   * Deliveries before a retryable failure goes to the DLQ with its last error. The default fits
   * the queue's maxReceiveCount (delivery.ts); more would let SQS redrive first, with no reason.
   */
  readonly maxAttempts?: number;
  readonly retryBackoff?: BackoffPolicy;
  /** How long stop() waits for in-flight handlers before releasing their messages. */
  readonly drainTimeoutMs?: number;
  /**
   * How long a handled message's deletion waits for others to share one DeleteMessageBatch
   * (call-batcher.ts).
   */
  readonly batchLingerMs?: number;
  readonly onOutcome?: (outcome: Outcome) => void;
}

export interface QueueConsumer {
  start(): void;
  /** Stops receiving, lets in-flight handlers finish (up to the drain timeout), releases the rest. */
  stop(): Promise<void>;
  readonly inFlight: number;
}

/** SQS caps a visibility timeout (and so a retry delay) at 12 hours. */
const MAX_VISIBILITY_SECONDS = 12 * 3600;

export function createQueueConsumer(options: QueueConsumerOptions): QueueConsumer {
  const { sqs, queueUrl, logger } = options;
  const concurrency = options.concurrency ?? 8;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
  const policy = deliveryPolicy(visibilityTimeoutSeconds);
  const handlerTimeoutMs = options.handlerTimeoutMs ?? 5 * 60_000;
  const maxAttempts = options.maxAttempts ?? policy.maxAttempts;
  const retryBackoff = options.retryBackoff ?? policy.retryBackoff;
  const drainTimeoutMs = options.drainTimeoutMs ?? 20_000;
  const deleteFromQueue = createCallBatcher<Message>({
    maxBatchSize: 10,
    lingerMs: options.batchLingerMs ?? DEFAULT_BATCH_LINGER_MS,
    run: async (messages) => {
      const { Failed = [] } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      const failures = new Map(Failed.map((failure) => [failure.Id, failure]));
      return messages.map((_, index) => {
        const failure = failures.get(String(index));
        return failure === undefined
          ? undefined
          : new Error(`${failure.Code ?? 'failed'}: ${failure.Message ?? 'no message'}`);
      });
    },
  });

  const inFlight = new Map<string, { message: Message; abort: AbortController; done: Promise<void> }>();
  const stopController = new AbortController();
  let loop: Promise<void> | undefined;
  let slotFreed: (() => void) | undefined;

  // A function, not a property read: the loop re-checks state that stop() changes meanwhile.
  const isStopping = (): boolean => stopController.signal.aborted;

  function report(outcome: Outcome): void {
    options.onOutcome?.(outcome);
  }

  async function receiveLoop(): Promise<void> {
    let failuresInARow = 0;
    while (!stopController.signal.aborted) {
      if (inFlight.size >= concurrency) {
        await new Promise<void>((resolve) => (slotFreed = resolve));
        continue;
      }
      let messages: Message[];
      try {
        const result = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, concurrency - inFlight.size),
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: stopController.signal },
        );
        messages = result.Messages ?? [];
        failuresInARow = 0;
      } catch (error) {
        // Aborting the long poll on stop() lands here too; that is not a failure.
        if (isStopping()) break;
        failuresInARow++;
        const delay = backoffDelayMs(failuresInARow, { baseMs: 500, maxMs: 30_000 });
        logger.warn('receive failed; backing off', { queueUrl, delayMs: delay, error });
        await sleep(delay, stopController.signal);
        continue;
      }
      for (const message of messages) track(message);
    }
  }

  function track(message: Message): void {
    const id = message.MessageId ?? message.ReceiptHandle ?? String(Math.random());
    const abort = new AbortController();
    const done = processMessage(message, abort.signal)
      .catch((error: unknown) => {
        // processMessage handles its own failures; reaching here is a bug, not a reason to die.
        logger.error('unexpected failure while processing a message', {
          messageId: message.MessageId,
          error,
        });
      })
      .finally(() => {
        inFlight.delete(id);
        slotFreed?.();
        slotFreed = undefined;
      });
    inFlight.set(id, { message, abort, done });
  }

  async function processMessage(message: Message, shutdownSignal: AbortSignal): Promise<void> {
    const body = message.Body ?? '';
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
    const parsed = parseEventMessage(body);
    if (!parsed.ok) {
      const { rejection } = parsed;
      if (!(await answerRejection(message, rejection, receiveCount))) return;
      await deadLetter(message, rejection.reason, rejection.message, rejection.eventId);
      return;
    }
    const event = parsed.event;
    const handler = options.handlers[event.type] as EventHandler<EventType> | undefined;
    if (handler === undefined) {
      // Routing sent us a type we do not handle: a configuration bug, retrying cannot fix it.
      await deadLetter(
        message,
        'no-handler',
        `${options.name} has no handler for ${event.type}`,
        event.metadata.eventId,
      );
      return;
    }

    const eventLogger = logger.with({
      eventId: event.metadata.eventId,
      correlationId: event.metadata.correlationId,
      eventType: event.type,
      ...('agentId' in event.data ? { agentId: event.data.agentId } : {}),
    });
    const dedupeKey = `${options.name}#${event.metadata.eventId}`;
    // Whose claim this is: a renewal or release by a worker that lost its lease must not touch
    // the claim of the worker that took over.
    const owner = `${options.name}/${process.pid}/${randomUUID()}`;

    let claim: Awaited<ReturnType<DedupeStore['claim']>>;
    try {
      claim = await options.dedupe.claim(dedupeKey, policy.leaseMs, owner);
    } catch (error) {
      await retryLater(message, event, receiveCount, error, eventLogger);
      return;
    }
    if (claim === 'completed') {
      eventLogger.info('duplicate delivery skipped');
      await deleteMessage(message);
      report({ kind: 'duplicate', eventId: event.metadata.eventId, type: event.type });
      return;
    }
    if (claim === 'in-progress') {
      // Another worker is on it. Look again once its lease has surely run out, should that worker
      // be dead: a fixed delay, not a back-off, so waiting on a lease costs one receive, not ten.
      await retryLater(
        message,
        event,
        receiveCount,
        new Error('another worker holds this event'),
        eventLogger,
        policy.inProgressRetrySeconds,
      );
      return;
    }

    const leaseLost = new AbortController();
    const handlerAbort = AbortSignal.any([
      shutdownSignal,
      leaseLost.signal,
      AbortSignal.timeout(handlerTimeoutMs),
    ]);
    const heartbeat = setInterval(
      () => void keepAlive(message, dedupeKey, owner, leaseLost, eventLogger),
      policy.heartbeatMs,
    );
    try {
      await handler(event, {
        logger: eventLogger,
        signal: handlerAbort,
        receiveCount,
        isFinalAttempt: receiveCount >= maxAttempts,
        emit: (type, data) => emitCausedBy(event, type, data),
      });
    } catch (error) {
      clearInterval(heartbeat);
      if (leaseLost.signal.aborted) {
        leftToTheTaker(event, eventLogger);
        return;
      }
      await options.dedupe.release(dedupeKey, owner).catch((releaseError: unknown) => {
        eventLogger.warn('could not release dedupe claim; it will expire', { error: releaseError });
      });
      if (!isRetryable(error)) {
        eventLogger.warn('handler rejected the event', { error });
        await deadLetter(message, 'handler-rejected', errorMessage(error), event.metadata.eventId);
      } else if (receiveCount >= maxAttempts) {
        eventLogger.error('giving up after repeated failures', { receiveCount, error });
        await deadLetter(
          message,
          'retries-exhausted',
          `after ${receiveCount} attempts: ${errorMessage(error)}`,
          event.metadata.eventId,
        );
      } else {
        await retryLater(message, event, receiveCount, error, eventLogger);
      }
      return;
    }
    clearInterval(heartbeat);
    if (leaseLost.signal.aborted) {
      leftToTheTaker(event, eventLogger);
      return;
    }
    // Both at once. Should the deletion land and the completion not, a later duplicate of this
    // event finds a lease that runs out and handles it again: the case of a failed completion,
    // which the handler's business keys make harmless.
    await Promise.all([
      options.dedupe.complete(dedupeKey).catch((error: unknown) => {
        // The side effects happened; a redelivery will be caught by the handler's business keys.
        eventLogger.warn('could not record completion', { error });
      }),
      deleteMessage(message),
    ]);
    report({ kind: 'handled', eventId: event.metadata.eventId, type: event.type });
  }

  /** Lets the handler of the rejected type answer it. False when the message is to be retried instead. */
  async function answerRejection(
    message: Message,
    rejection: Rejection,
    receiveCount: number,
  ): Promise<boolean> {
    const { type, eventId, request } = rejection;
    if (type === undefined || eventId === undefined || request === undefined || !isEventType(type))
      return true;
    const onRejected = options.handlers[type]?.onRejected;
    if (onRejected === undefined) return true;
    const rejectionLogger = logger.with({ eventId, eventType: type, rejection: rejection.reason });
    try {
      await onRejected(rejection, {
        logger: rejectionLogger,
        receiveCount,
        emit: (answerType, data) => {
          if (options.publisher === undefined)
            throw new Error(`${options.name} consumer has no publisher to emit ${answerType}`);
          return options.publisher.emit(answerType, data, {
            correlationId: request.correlationId ?? eventId,
            causationId: eventId,
          });
        },
      });
      return true;
    } catch (error) {
      if (!isRetryable(error) || receiveCount >= maxAttempts) {
        rejectionLogger.error('could not answer a rejected message; it goes to the DLQ all the same', {
          error,
        });
        return true;
      }
      const delaySeconds = Math.min(
        MAX_VISIBILITY_SECONDS,
        Math.ceil(backoffDelayMs(receiveCount, retryBackoff) / 1000),
      );
      rejectionLogger.warn('could not answer a rejected message; will retry', {
        receiveCount,
        delaySeconds,
        error,
      });
      await changeVisibility(message, delaySeconds).catch((visibilityError: unknown) => {
        rejectionLogger.warn('could not set retry delay', { error: visibilityError });
      });
      report({ kind: 'retry-later', eventId, type, delaySeconds, error: errorMessage(error) });
      return false;
    }
  }

  async function emitCausedBy<T extends EventType>(
    cause: AnyFleetEvent,
    type: T,
    data: EventDataInput<T>,
  ): Promise<DraftEvent<T>> {
    if (options.publisher === undefined)
      throw new Error(`${options.name} consumer has no publisher to emit ${type}`);
    const createOptions: CreateEventOptions = {
      correlationId: cause.metadata.correlationId,
      causationId: cause.metadata.eventId,
    };
    return options.publisher.emit(type, data, createOptions);
  }

  async function retryLater(
    message: Message,
    event: AnyFleetEvent,
    receiveCount: number,
    error: unknown,
    eventLogger: Logger,
    fixedDelaySeconds?: number,
  ): Promise<void> {
    const delaySeconds = Math.min(
      MAX_VISIBILITY_SECONDS,
      fixedDelaySeconds ?? Math.ceil(backoffDelayMs(receiveCount, retryBackoff) / 1000),
    );
    eventLogger.warn('will retry', { receiveCount, delaySeconds, error });
    await changeVisibility(message, delaySeconds).catch((visibilityError: unknown) => {
      // The message reappears when its current visibility runs out: a retry all the same.
      eventLogger.warn('could not set retry delay', { error: visibilityError });
    });
    report({
      kind: 'retry-later',
      eventId: event.metadata.eventId,
      type: event.type,
      delaySeconds,
      error: errorMessage(error),
    });
  }

  async function deadLetter(
    message: Message,
    reason: DeadLetterReason,
    text: string,
    eventId?: string,
  ): Promise<void> {
    const attributes = {
      [DEAD_LETTER_ATTRIBUTES.reason]: { DataType: 'String', StringValue: reason },
      [DEAD_LETTER_ATTRIBUTES.message]: { DataType: 'String', StringValue: text.slice(0, 1000) || reason },
      [DEAD_LETTER_ATTRIBUTES.consumer]: { DataType: 'String', StringValue: options.name },
      [DEAD_LETTER_ATTRIBUTES.failedAt]: { DataType: 'String', StringValue: new Date().toISOString() },
    };
    try {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: options.deadLetterQueueUrl,
          MessageBody: message.Body === undefined || message.Body === '' ? '(empty body)' : message.Body,
          MessageAttributes: attributes,
        }),
      );
    } catch (error) {
      // Not in the DLQ yet: leave the message where it is so nothing is lost; it comes back.
      logger.error('could not move message to the DLQ; it stays on the queue', {
        messageId: message.MessageId,
        reason,
        error,
      });
      return;
    }
    logger.warn('message moved to the DLQ', { messageId: message.MessageId, eventId, reason, detail: text });
    await deleteMessage(message);
    report({ kind: 'dead-lettered', reason, message: text, eventId });
  }

  async function deleteMessage(message: Message): Promise<void> {
    try {
      await deleteFromQueue(message);
    } catch (error) {
      // It will be redelivered; dedupe turns that into a no-op.
      logger.warn('could not delete a handled message', { messageId: message.MessageId, error });
    }
  }

  async function changeVisibility(message: Message, seconds: number): Promise<void> {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  /** The heartbeat: keeps the message hidden and the lease ours while the handler runs. */
  async function keepAlive(
    message: Message,
    dedupeKey: string,
    owner: string,
    leaseLost: AbortController,
    eventLogger: Logger,
  ): Promise<void> {
    if (leaseLost.signal.aborted) return;
    try {
      await changeVisibility(message, visibilityTimeoutSeconds);
    } catch (error) {
      eventLogger.warn('could not extend visibility of a long-running message', { error });
    }
    try {
      if (!(await options.dedupe.renew(dedupeKey, owner, policy.leaseMs))) {
        eventLogger.warn('lost the lease on this event to another worker; aborting the handler');
        leaseLost.abort();
      }
    } catch (error) {
      // The lease has room for two more missed renewals (delivery.ts).
      eventLogger.warn('could not renew the lease on this event', { error });
    }
  }

  function leftToTheTaker(event: AnyFleetEvent, eventLogger: Logger): void {
    // Neither complete, release nor delete: the claim and the message are the taker's now.
    eventLogger.warn('left the event to the worker that took it over');
    report({ kind: 'lease-lost', eventId: event.metadata.eventId, type: event.type });
  }

  return {
    get inFlight() {
      return inFlight.size;
    },
    start() {
      if (loop !== undefined) return;
      logger.info('consumer started', { queueUrl, concurrency });
      loop = receiveLoop();
    },
    async stop() {
      if (stopController.signal.aborted) return;
      stopController.abort();
      slotFreed?.();
      await loop;
      const pending = [...inFlight.values()];
      if (pending.length > 0) {
        logger.info('draining in-flight messages', { count: pending.length, drainTimeoutMs });
        const timer = new AbortController();
        const drained = await Promise.race([
          Promise.allSettled(pending.map((p) => p.done)).then(() => true),
          sleep(drainTimeoutMs, timer.signal).then(() => false),
        ]);
        timer.abort();
        if (!drained) {
          // Hand the rest back to SQS now rather than when their visibility would run out.
          for (const { message, abort } of inFlight.values()) {
            abort.abort();
            await changeVisibility(message, 0).catch(() => undefined);
          }
        }
      }
      logger.info('consumer stopped', { queueUrl });
    },
  };
}
