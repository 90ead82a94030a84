/** A token bucket's columns (or any SQL expressions): what it held at `refilledAt`, its rate a second, its burst. */
export interface Bucket {
  tokens: string;
  rate: string;
  burst: string;
  refilledAt: string;
}

/** The bucket of the `dispatch.type_limits` row `l` (what the statements use when given no other). */
export const TYPE_BUCKET: Bucket = {
  tokens: 'l.tokens',
  rate: 'l.rate_per_second',
  burst: 'l.burst',
  refilledAt: 'l.refilled_at',
};

/**
 * The tokens in a bucket at `now`, as a SQL expression on the database's clock: what it held at
 * `refilledAt` plus `rate` tokens for every second since, never more than `burst` (absent: one
 * second's worth). A `now` earlier than `refilledAt` (another transaction refilled it from a later
 * clock reading) adds nothing. Fractional: a part-refilled token is kept, and lets a task start once whole.
 */
export const refilledTokens = (now: string, b: Bucket = TYPE_BUCKET) =>
  `least(coalesce(${b.burst}, ${b.rate}), ${b.tokens} + greatest(0, extract(epoch FROM ${now} - ${b.refilledAt})) * ${b.rate})`;

/** How many tasks the bucket lets start at `now`: its whole tokens. */
export const tokensAllowed = (now: string, b: Bucket = TYPE_BUCKET) => `floor(${refilledTokens(now, b)})::int`;

/** The bucket's tokens after `taken` tasks started at `now`: refilled, less what they took, never below zero. */
export const tokensLeft = (now: string, taken: string, b: Bucket = TYPE_BUCKET) =>
  `greatest(0, ${refilledTokens(now, b)} - ${taken})`;
