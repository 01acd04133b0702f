/** One page of a table read in pages: its items, and where the next page starts (none: the end). */
export interface SweepPage<T, C = unknown> {
  readonly items: readonly T[];
  readonly next?: C | undefined;
}

export interface PacedSweepOptions<T, C = unknown> {
  /** Reads one page of at most `limit` items from `cursor` (undefined: from the start). */
  readonly readPage: (cursor: C | undefined, limit: number) => Promise<SweepPage<T, C>>;
  /** Every item is visited at least once in this long (the sweep's cycle). */
  readonly intervalMs: number;
  /** Items per page: the most one step reads. */
  readonly pageSize: number;
  /** Milliseconds since the epoch; tests pass a fake clock's. */
  readonly now?: () => number;
}

export interface SweepStep<T> {
  readonly items: readonly T[];
  /** This page ended a cycle: every item was visited since the cycle began. */
  readonly cycleDone: boolean;
}

/**
 * A level-triggered resync that never reads a whole table in one go on a timer (ADR 0029): a
 * cycle reads the table one page at a time, with the pages of a cycle spread evenly over the
 * interval, so the read per tick stays at one page however large the table grows, and every item
 * is still visited once per interval. How many pages a cycle takes is learnt from the previous
 * cycle (or from `readAll`); pages beyond that estimate (the table grew) are read straight away,
 * so a cycle never runs much past its interval.
 */
export interface PacedSweep<T> {
  /** Milliseconds until the next page is due (0 or less: due now). */
  dueInMs(): number;
  /** Reads the next page if it is due; undefined if not. */
  step(): Promise<SweepStep<T> | undefined>;
  /** Reads every page now (a full pass, at start or when asked) and counts as a whole cycle. */
  readAll(): Promise<T[]>;
  /** Pages the last whole cycle took (0 before the first). */
  readonly pagesPerCycle: number;
}

export function createPacedSweep<T, C = unknown>(options: PacedSweepOptions<T, C>): PacedSweep<T> {
  const now = options.now ?? Date.now;
  const { intervalMs, pageSize } = options;
  if (!(intervalMs > 0)) throw new RangeError(`a sweep's interval must be positive, not ${intervalMs}`);
  if (!(Number.isInteger(pageSize) && pageSize > 0))
    throw new RangeError(`a sweep's page size must be a positive integer, not ${pageSize}`);
  let pagesPerCycle = 0;
  /** When the cycle under way began (or the next one begins, between cycles). */
  let cycleStart = now();
  let pageIndex = 0;
  let cursor: C | undefined;

  function dueAt(): number {
    if (pageIndex === 0) return cycleStart;
    // Beyond the estimate: the table grew, catch up now.
    if (pageIndex >= pagesPerCycle) return now();
    return cycleStart + (pageIndex * intervalMs) / pagesPerCycle;
  }

  function endCycle(pages: number, startedAt: number): void {
    pagesPerCycle = pages;
    pageIndex = 0;
    cursor = undefined;
    // The next cycle starts one interval after this one began (at once, if this one overran).
    cycleStart = startedAt + intervalMs;
  }

  return {
    dueInMs: () => dueAt() - now(),
    async step() {
      if (dueAt() > now()) return undefined;
      // Pages are spread from when the cycle really began, so an overrun is not made up in a burst.
      if (pageIndex === 0) cycleStart = now();
      const page = await options.readPage(cursor, pageSize);
      if (page.next === undefined) {
        endCycle(pageIndex + 1, cycleStart);
        return { items: page.items, cycleDone: true };
      }
      cursor = page.next;
      pageIndex++;
      return { items: page.items, cycleDone: false };
    },
    async readAll() {
      const startedAt = now();
      const all: T[] = [];
      let at: C | undefined;
      let pages = 0;
      do {
        const page = await options.readPage(at, pageSize);
        all.push(...page.items);
        at = page.next;
        pages++;
      } while (at !== undefined);
      endCycle(pages, startedAt);
      return all;
    },
    get pagesPerCycle() {
      return pagesPerCycle;
    },
  };
}
