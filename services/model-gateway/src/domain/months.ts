/** The calendar month (UTC) a moment falls in, `YYYY-MM`: budgets and totals are kept per month. */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** The day (UTC), `YYYY-MM-DD`. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}
