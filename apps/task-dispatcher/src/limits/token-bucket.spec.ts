import { SqlFragments } from '../../test/sql-fragment';
import { type Bucket, refilledTokens, tokensAllowed, tokensLeft } from './token-bucket';

/**
 * A type's rate limit is a token bucket, refilled on the database's clock: evaluated here on
 * Postgres exactly as the claim's allowance and its token take run it.
 */
describe('the token bucket (SQL)', () => {
  const sql = new SqlFragments();
  beforeAll(() => sql.connect());
  afterAll(() => sql.close());

  const T0 = '2026-01-01T00:00:00Z';
  /** A bucket of the type_limits column types, last refilled at T0. */
  const bucket = (tokens: number, rate: number, burst: number | null): Bucket => ({
    tokens: `${tokens}::double precision`,
    rate: `${rate}::int`,
    burst: burst === null ? 'NULL::int' : `${burst}::int`,
    refilledAt: `'${T0}'::timestamptz`,
  });
  /** SQL for the moment `seconds` after T0. */
  const after = (seconds: number) => `('${T0}'::timestamptz + make_interval(secs => ${seconds}))`;
  const refilled = (b: Bucket, seconds: number) => sql.value<number>(`(${refilledTokens(after(seconds), b)})::float8`);

  it('refills rate × elapsed seconds', async () => {
    expect(await refilled(bucket(0, 2, 10), 1.5)).toBeCloseTo(3);
    expect(await refilled(bucket(1, 4, 10), 0.25)).toBeCloseTo(2);
    expect(await refilled(bucket(3, 2, 10), 0)).toBeCloseTo(3);
  });

  it('never holds more than its burst, however long it was idle', async () => {
    expect(await refilled(bucket(0, 2, 5), 3_600)).toBe(5);
    expect(await refilled(bucket(5, 2, 5), 1)).toBe(5);
  });

  it('holds at most one second of tokens when no burst is set', async () => {
    expect(await refilled(bucket(0, 3, null), 60)).toBe(3);
  });

  it('adds nothing when the clock reads earlier than the last refill', async () => {
    expect(await refilled(bucket(2, 10, 100), -5)).toBe(2);
  });

  it('lets as many tasks start as it holds whole tokens', async () => {
    expect(await sql.value<number>(tokensAllowed(after(1.7), bucket(0, 2, 10)))).toBe(3);
    expect(await sql.value<number>(tokensAllowed(after(0.4), bucket(0.5, 1, 10)))).toBe(0);
  });

  it('takes one token a started task, refilling first, and never goes below zero', async () => {
    expect(await sql.value<number>(`(${tokensLeft(after(1), '2', bucket(1, 2, 10))})::float8`)).toBeCloseTo(1);
    expect(await sql.value<number>(`(${tokensLeft(after(1), '5', bucket(0, 2, 10))})::float8`)).toBe(0);
  });
});
