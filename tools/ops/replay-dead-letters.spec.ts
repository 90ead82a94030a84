import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, TEST_NATS_URL, TestStack } from '@juggernaut/testing';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { governanceApi } from '../../apps/governance-api/src/service';

/**
 * The dead-letter replay of docs/runbooks/replay-dead-letters.md against a real governance-api and
 * JetStream: a letter whose message is valid (it failed for a cause since fixed) is applied once
 * replayed, a dry run publishes nothing, filters select, and a non-inbound letter is skipped.
 */
const ADMIN = 'replay-admin-key-0123456789abcdef';
const script = join(__dirname, 'replay-dead-letters.mjs');

describe('replay-dead-letters', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let api: ReturnType<typeof apiClient>;
  const replay = (...args: string[]) => {
    const r = spawnSync(process.execPath, [script, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: stack.namespace },
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout;
  };
  const logsOf = async (workerId: string) =>
    (await api.get(`/api/v1/logs?workerId=${workerId}`)).body.items as Array<{ message: string }>;

  beforeAll(async () => {
    stack = await TestStack.create('replay');
    const gov = await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN });
    api = apiClient(gov.url, ADMIN);
    nc = await connectTestNats();
    const js = jetstream(nc);
    const letter = (subject: string, data: unknown, service = 'governance-api') =>
      js.publish(
        `${stack.namespace}.juggernaut.deadletter.v1`,
        JSON.stringify({
          subject,
          reason: 'handler failed 5 times: connection terminated',
          data: JSON.stringify(data),
          service,
          at: new Date().toISOString(),
        }),
      );
    await letter('juggernaut.log.append.v1', {
      logId: 'a5b2c3d4-0000-4000-8000-000000000001',
      workerId: 'replayed-worker',
      action: 'note',
      message: 'back from the dead',
    });
    await letter('juggernaut.task.created.v1', { taskId: 'x' }, 'task-dispatcher');
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('a dry run lists what it would replay and publishes nothing', async () => {
    const out = replay('--dry-run');
    expect(out).toContain('would replay 1, skipped 1');
    expect(out).toMatch(/skip .* juggernaut\.task\.created\.v1: not an inbound subject/);
    await new Promise((r) => setTimeout(r, 300));
    expect(await logsOf('replayed-worker')).toEqual([]);
  });

  it('filters by service and subject', () => {
    expect(replay('--dry-run', '--service', 'revenue-ledger')).toContain('would replay 0, skipped 0');
    expect(replay('--dry-run', '--subject', 'juggernaut.log.append.v1')).toContain('would replay 1, skipped 0');
  });

  it('replays the original message, which its consumer applies once, even when replayed twice', async () => {
    expect(replay('--subject', 'juggernaut.log.append.v1')).toContain('replayed 1, skipped 0');
    expect(replay('--subject', 'juggernaut.log.append.v1')).toContain('replayed 1, skipped 0');
    const logs = await eventually(async () => {
      const l = await logsOf('replayed-worker');
      return l.length > 0 ? l : undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(await logsOf('replayed-worker')).toHaveLength(1);
    expect(logs[0]!.message).toBe('back from the dead');
  });
});
