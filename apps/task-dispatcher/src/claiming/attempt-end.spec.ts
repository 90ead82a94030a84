import { SqlFragments } from '../../test/sql-fragment';
import { ATTEMPTS_USED, EXPIRED_REASON, EXPIRED_STATUS, FINISHED_REASON, FINISHED_STATUS } from './attempt-end';

/** How an attempt ends, evaluated on Postgres as the finish and reap statements run it, over literal rows. */
describe('how an attempt ends (SQL)', () => {
  const sql = new SqlFragments();
  beforeAll(() => sql.connect());
  afterAll(() => sql.close());

  interface Result {
    outcome: 'succeeded' | 'failed';
    retryable?: boolean;
    error?: string | null;
    attempts?: number;
    maxAttempts?: number;
    taskTerminal?: string[] | null;
    typeTerminal?: string[] | null;
  }

  /** The status and reason a reported result gives its task. */
  async function finished(r: Result) {
    const [row] = await sql.rows<{ status: string; reason: string | null }>(
      `SELECT n.new_status AS status, ${FINISHED_REASON} AS reason FROM (
         SELECT i.*, ${FINISHED_STATUS} AS new_status, ${ATTEMPTS_USED} AS exhausted
         FROM (VALUES ($1::text, $2::bool, $3::text)) AS i(outcome, retryable, error),
              (VALUES ($4::int, $5::int, $6::text[])) AS t(attempts, max_attempts, terminal_errors),
              (VALUES ($7::text[])) AS l(terminal_errors)
       ) n`,
      [
        r.outcome,
        r.retryable ?? true,
        r.error ?? null,
        r.attempts ?? 1,
        r.maxAttempts ?? 5,
        r.taskTerminal ?? null,
        r.typeTerminal ?? null,
      ],
    );
    return row!;
  }

  describe('a reported result', () => {
    it('succeeds with no reason', async () => {
      expect(await finished({ outcome: 'succeeded', error: 'ignored' })).toEqual({ status: 'succeeded', reason: null });
    });

    it('is retried when it may be and attempts are left, keeping its error', async () => {
      expect(await finished({ outcome: 'failed', error: 'HTTP 503', attempts: 4, maxAttempts: 5 })).toEqual({
        status: 'failed',
        reason: 'HTTP 503',
      });
      expect(await finished({ outcome: 'failed', error: null })).toEqual({ status: 'failed', reason: 'failed' });
    });

    it('kills the task on its last attempt, saying its attempts are exhausted', async () => {
      expect(await finished({ outcome: 'failed', error: 'HTTP 503', attempts: 5, maxAttempts: 5 })).toEqual({
        status: 'dead',
        reason: 'attempts exhausted: HTTP 503',
      });
    });

    it('kills the task when its runner says the failure is not retryable', async () => {
      expect(await finished({ outcome: 'failed', retryable: false, error: 'bad payload', attempts: 1 })).toEqual({
        status: 'dead',
        reason: 'bad payload',
      });
    });

    it("kills the task when its error contains one of the task's never-retried errors", async () => {
      const r = { outcome: 'failed' as const, taskTerminal: ['quota exceeded'], typeTerminal: ['HTTP 503'] };
      // with attempts left: dead with its error, not "attempts exhausted"
      expect(await finished({ ...r, error: 'OpenAI: quota exceeded (429)', attempts: 1, maxAttempts: 5 })).toEqual({
        status: 'dead',
        reason: 'OpenAI: quota exceeded (429)',
      });
      // the task's list replaces its type's
      expect((await finished({ ...r, error: 'HTTP 503' })).status).toBe('failed');
    });

    it("uses the type's never-retried errors when the task has none", async () => {
      expect((await finished({ outcome: 'failed', typeTerminal: ['invalid key'], error: 'invalid key' })).status).toBe(
        'dead',
      );
      expect((await finished({ outcome: 'failed', typeTerminal: ['invalid key'], error: 'timeout' })).status).toBe(
        'failed',
      );
    });

    it('an empty list on the task means every error is retried, whatever its type says', async () => {
      expect(
        (await finished({ outcome: 'failed', taskTerminal: [], typeTerminal: ['HTTP 503'], error: 'HTTP 503' })).status,
      ).toBe('failed');
    });
  });

  /** The status and reason the reaper gives a task whose lease expired. */
  async function expired(attempts: number, maxAttempts: number, pastDeadline: boolean, worker: string | null) {
    const [row] = await sql.rows<{ status: string; reason: string }>(
      `SELECT ${EXPIRED_STATUS} AS status, ${EXPIRED_REASON} AS reason
       FROM (VALUES ($1::int, $2::int, now() - interval '90 seconds',
                     now() + CASE WHEN $3::bool THEN interval '-30 seconds' ELSE interval '30 seconds' END))
              AS t(attempts, max_attempts, claimed_at, run_deadline_at),
            (VALUES ($4::text)) AS e(worker_id)`,
      [attempts, maxAttempts, pastDeadline, worker],
    );
    return row!;
  }

  describe('an expired lease', () => {
    it('sends the task back to be retried, naming the worker whose lease expired', async () => {
      expect(await expired(1, 5, false, 'w-7')).toEqual({ status: 'failed', reason: 'lease expired on w-7' });
    });

    it('says execution timeout, with the time the attempt was allowed, when it ran past its deadline', async () => {
      expect(await expired(2, 5, true, 'w-7')).toEqual({
        status: 'failed',
        reason: 'execution timeout: ran past 60 s on w-7',
      });
    });

    it('kills the task on its last attempt', async () => {
      expect(await expired(5, 5, false, 'w-7')).toEqual({
        status: 'dead',
        reason: 'attempts exhausted: lease expired on w-7',
      });
      expect(await expired(3, 3, true, 'w-7')).toEqual({
        status: 'dead',
        reason: 'attempts exhausted: execution timeout: ran past 60 s on w-7',
      });
    });

    it('writes ? for a worker it does not know', async () => {
      expect((await expired(1, 5, false, null)).reason).toBe('lease expired on ?');
    });
  });
});
