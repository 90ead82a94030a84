import { randomUUID } from 'node:crypto';
import type { RunningService } from '@juggernaut/service-kit';
import { TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import type { DispatcherEnv } from '../src/config';
import { DispatchMessaging } from '../src/dispatch.messaging';
import { QueueClock } from '../src/scheduling/queue-clock';
import { taskDispatcher } from '../src/service';

/**
 * The queue timer sleeps until the next due moment (a scheduled task, a retry's backoff, a cron
 * tick), at most DISPATCH_TIMER_MAX_MS. With nothing scheduled it sleeps the whole maximum: a
 * timer that took "nothing due" for "due now" ran its round (three statements and a transaction)
 * back to back, hundreds of times a second, on every idle or busy dispatcher. The longest sleep here
 * is a minute, so a retry found in time was found because its timer was armed for it.
 */
describe('the queue timer', () => {
  let stack: TestStack;
  let dispatcher: RunningService<DispatcherEnv>;
  let db: Client;
  let clock: QueueClock;

  beforeAll(async () => {
    stack = await TestStack.create('queue_clock');
    dispatcher = await stack.start(taskDispatcher, {
      DISPATCH_TIMER_MAX_MS: '60000',
      DISPATCH_REAPER_INTERVAL_MS: '200',
      DISPATCH_REAPER_GRACE_MS: '0',
    });
    clock = dispatcher.app.get(QueueClock);
    db = new Client({ connectionString: stack.db.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await stack?.close();
  });

  beforeEach(async () => {
    await db.query('DELETE FROM dispatch.tasks');
    await db.query('DELETE FROM dispatch.schedules');
  });

  const insertTask = (status: string, runAt: string) =>
    db.query(`INSERT INTO dispatch.tasks (type, status, run_at, sort_key) VALUES ('noop', $1, ${runAt}, now())`, [
      status,
    ]);

  it('finds nothing due when nothing is scheduled, and sleeps its longest', async () => {
    // Work that is not waiting for a moment: pending, running, finished.
    await insertTask('pending', 'now()');
    await insertTask('succeeded', "now() - interval '1 hour'");
    expect(await clock.nextDueInMs()).toBeUndefined();

    const fire = jest.spyOn(clock as unknown as { fire(): Promise<void> }, 'fire');
    try {
      await new Promise((r) => setTimeout(r, 2_500));
      // A timer that mistook "nothing" for "now" ran its round hundreds of times here.
      expect(fire.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      fire.mockRestore();
    }
  });

  it('counts down to the earliest scheduled task, retry or cron tick', async () => {
    await insertTask('scheduled', "now() + interval '1 hour'");
    const hour = await clock.nextDueInMs();
    expect(hour).toBeGreaterThan(3_590_000);
    expect(hour).toBeLessThanOrEqual(3_600_000);

    await insertTask('failed', "now() + interval '10 minutes'");
    const retry = await clock.nextDueInMs();
    expect(retry).toBeGreaterThan(590_000);
    expect(retry).toBeLessThanOrEqual(600_000);

    await db.query(
      `INSERT INTO dispatch.schedules (name, cron, task, enabled, next_run_at)
       VALUES ('every-minute', '* * * * *', '{"type":"noop"}', true, now() + interval '30 seconds')`,
    );
    const tick = await clock.nextDueInMs();
    expect(tick).toBeGreaterThan(20_000);
    expect(tick).toBeLessThanOrEqual(30_000);
  });

  const insertRetrying = async (status: string, extra = '') =>
    (
      await db.query(
        `INSERT INTO dispatch.tasks (type, status, run_at, sort_key, retry_base_ms, retry_max_ms, max_attempts ${extra ? ', worker_id, claim_token, attempts, lease_expires_at' : ''})
         VALUES ('noop', $1, now(), now(), 50, 50, 5 ${extra}) RETURNING id`,
        [status],
      )
    ).rows[0].id as string;

  const becomesPending = async (id: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await db.query(
        `SELECT status FROM dispatch.task_events WHERE task_id = $1 ORDER BY at DESC, id DESC LIMIT 1`,
        [id],
      );
      if (rows[0]?.status === 'pending') return;
      if (Date.now() > deadline) throw new Error(`task ${id} is still ${rows[0]?.status ?? 'without history'}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('arms itself for a retry a runner reported, and makes it pending when its backoff is over', async () => {
    const token = randomUUID();
    const id = await insertRetrying('running', `, 'w1', '${token}', 1, now() + interval '1 minute'`);
    const reply = await dispatcher.app.get(DispatchMessaging).finish({
      workerId: 'w1',
      results: [{ taskId: id, claimToken: token, outcome: 'failed', error: 'boom', retryable: true }],
    });
    expect(reply.accepted).toEqual([{ taskId: id, status: 'failed' }]);
    await becomesPending(id);
  });

  it('arms itself for a retry the reaper made of an expired lease', async () => {
    const id = await insertRetrying('running', ", 'gone-worker', gen_random_uuid(), 1, now() - interval '1 second'");
    await becomesPending(id);
    const { rows } = await db.query(
      `SELECT status, reason FROM dispatch.task_events WHERE task_id = $1 ORDER BY at, id`,
      [id],
    );
    expect(rows.map((r) => r.status)).toEqual(['failed', 'pending']);
  });

  it('answers 0 for what is overdue, and ignores disabled schedules', async () => {
    // The timer stops first: its round would promote the overdue retry before it is looked at.
    await clock.onApplicationShutdown();
    await db.query(
      `INSERT INTO dispatch.schedules (name, cron, task, enabled, next_run_at)
       VALUES ('paused', '* * * * *', '{"type":"noop"}', false, now() - interval '1 hour')`,
    );
    expect(await clock.nextDueInMs()).toBeUndefined();
    await insertTask('failed', "now() - interval '1 second'");
    expect(await clock.nextDueInMs()).toBe(0);
  });
});
