import DataLoader from 'dataloader';

export interface CallBatcherOptions<T> {
  /** The most items one batch call takes (SQS DeleteMessageBatch: 10, DynamoDB BatchWriteItem: 25). */
  readonly maxBatchSize: number;
  /**
   * How long the first item of a batch waits for others. Calls that come within this window
   * share a request; under load that is most of them, and when idle each waits this long alone.
   */
  readonly lingerMs: number;
  /**
   * Makes the batch call. Returns, in the order of `items`, undefined for each item that was done
   * and an Error for each that was not: one item's failure fails only its own caller.
   */
  readonly run: (items: readonly T[]) => Promise<readonly (Error | undefined)[]>;
}

/**
 * Gathers calls made close together into one batch request: an acknowledgement per handled message
 * becomes a tenth (or a 25th) of a request under load. Each caller still gets its own outcome.
 * DataLoader does the gathering, without its cache: every call is a write, never a read to share.
 */
export function createCallBatcher<T>(options: CallBatcherOptions<T>): (item: T) => Promise<void> {
  const loader = new DataLoader<T, undefined>(
    async (items) => (await options.run(items)).map((outcome) => outcome ?? undefined),
    {
      cache: false,
      maxBatchSize: options.maxBatchSize,
      batchScheduleFn: (dispatch) => setTimeout(dispatch, options.lingerMs),
    },
  );
  return async (item) => {
    await loader.load(item);
  };
}

/** Long enough for the messages of one receive to share their acknowledgements, short next to a handler. */
export const DEFAULT_BATCH_LINGER_MS = 20;
