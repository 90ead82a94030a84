import { SqlFragments } from '../../test/sql-fragment';
import { sortKey } from './sort-key';

/**
 * The claim order, evaluated on Postgres as every statement that sets `sort_key` runs it (submit,
 * batch submit, replace/debounce, redrive, retry after a failure, snooze). Claims take the smallest
 * keys first among due tasks.
 */
describe('the aging claim order (SQL)', () => {
  const sql = new SqlFragments();
  beforeAll(() => sql.connect());
  afterAll(() => sql.close());

  const AGING = '60';
  /** The key of a task due at 10:00 plus `seconds`, of `priority`. */
  const key = (seconds: number, priority: number) =>
    sortKey(`('2026-01-01T10:00:00Z'::timestamptz + make_interval(secs => ${seconds}))`, `${priority}::int`, AGING);
  /** Whether task a is claimed before task b. */
  const ahead = (a: [number, number], b: [number, number]) => sql.value<boolean>(`${key(...a)} < ${key(...b)}`);

  it('puts a higher priority (a lower number) first among tasks due at the same moment', async () => {
    expect(await ahead([0, 0], [0, 1])).toBe(true);
    expect(await ahead([0, 4], [0, 9])).toBe(true);
  });

  it('keeps tasks of one priority first in, first out', async () => {
    expect(await ahead([0, 5], [1, 5])).toBe(true);
    expect(await ahead([1, 5], [0, 5])).toBe(false);
  });

  it('moves an older lower-priority task ahead once it has waited one aging period per step', async () => {
    // priority 6 due at 10:00 against priority 5 due later: one step is 60 s
    expect(await ahead([0, 6], [59, 5])).toBe(false);
    expect(await ahead([0, 6], [61, 5])).toBe(true);
    // three steps: three minutes
    expect(await ahead([0, 8], [179, 5])).toBe(false);
    expect(await ahead([0, 8], [181, 5])).toBe(true);
  });

  it('is the run-at pushed back by priority × aging seconds', async () => {
    expect(await sql.value<Date>(key(0, 3))).toEqual(new Date('2026-01-01T10:03:00Z'));
    expect(await sql.value<Date>(key(30, 0))).toEqual(new Date('2026-01-01T10:00:30Z'));
  });
});
