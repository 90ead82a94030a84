import { SqlFragments } from '../../test/sql-fragment';
import { backoff } from './backoff';

/**
 * The retry backoff, evaluated on Postgres as the finish and reap statements run it: base × 2^(n−1)
 * ms after the n-th failed attempt, capped at max, times a random 0.5–1 so retries of tasks that
 * failed together spread out.
 */
describe('backoff (SQL)', () => {
  const sql = new SqlFragments();
  beforeAll(() => sql.connect());
  afterAll(() => sql.close());

  /** The smallest and largest of many drawn delays, in seconds. */
  async function drawn(attempts: number, baseMs: number, maxMs: number, samples = 2_000) {
    const [r] = await sql.rows<{ lo: number; hi: number }>(
      `SELECT min(s) AS lo, max(s) AS hi FROM (
         SELECT extract(epoch FROM ${backoff(String(attempts), String(baseMs), String(maxMs))})::float8 AS s
         FROM generate_series(1, ${samples})
       ) d`,
    );
    return r!;
  }

  it('waits between half and all of the base after the first failure, spread over that range', async () => {
    const { lo, hi } = await drawn(1, 1_000, 300_000);
    expect(lo).toBeGreaterThanOrEqual(0.5);
    expect(hi).toBeLessThanOrEqual(1);
    // jitter: 2,000 draws cover the range (each end missed with probability 0.9^2000)
    expect(lo).toBeLessThan(0.55);
    expect(hi).toBeGreaterThan(0.95);
  });

  it('doubles the wait with each further failed attempt', async () => {
    for (const [attempts, full] of [
      [2, 2],
      [3, 4],
      [4, 8],
      [6, 32],
    ] as const) {
      const { lo, hi } = await drawn(attempts, 1_000, 300_000, 500);
      expect(lo).toBeGreaterThanOrEqual(full / 2);
      expect(hi).toBeLessThanOrEqual(full);
    }
  });

  it('never waits longer than the maximum, however many attempts failed', async () => {
    const { lo, hi } = await drawn(30, 1_000, 300_000);
    expect(lo).toBeGreaterThanOrEqual(150);
    expect(hi).toBeLessThanOrEqual(300);
    expect(hi).toBeGreaterThan(285);
  });

  it('counts a task with no attempt recorded as a first failure', async () => {
    const { lo, hi } = await drawn(0, 2_000, 300_000, 500);
    expect(lo).toBeGreaterThanOrEqual(1);
    expect(hi).toBeLessThanOrEqual(2);
  });

  it('takes its inputs as SQL expressions, so per-task and per-type settings reach it', async () => {
    const s = await sql.value<number>(
      `extract(epoch FROM ${backoff('$1::int', 'coalesce($2::int, $3::int)', 'coalesce(NULL::int, $4::int)')})::float8`,
      [3, null, 500, 60_000],
    );
    expect(s).toBeGreaterThanOrEqual(1);
    expect(s).toBeLessThanOrEqual(2);
  });
});
