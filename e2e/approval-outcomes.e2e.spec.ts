import type { NatsConnection } from '@nats-io/transport-node';
import { apiClient, connectTestNats, eventually, natsRpc, TestStack } from '@juggernaut/testing';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { governanceApi } from '../apps/governance-api/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN = 'approval-outcomes-admin-key-0123456789';

/**
 * A task parked on an approval: approved, it runs again; rejected or expired, it stops for good
 * with the reason. Nothing decides for the human: left alone, the approval expires and the task dies.
 */
describe('what an approval decision does to the work waiting on it', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let pg: Client;
  let operator: ReturnType<typeof apiClient>;
  const admin = () => apiClient(url, ADMIN);
  let url: string;
  const rpc = () => natsRpc(nc, stack.namespace);

  /** A task claimed by a worker, which asks for an approval and parks the task on it. */
  async function parked(): Promise<{ taskId: string; approvalId: string }> {
    const taskId = (await admin().post('/api/v1/tasks', { type: 'manual', title: 'pay a supplier' })).body.id as string;
    const claimed = await eventually(async () => {
      const r = await rpc().call('juggernaut.task.claim.v1', {
        workerId: 'approval-worker',
        level: 5,
        capabilities: [],
        types: ['manual'],
        max: 1,
      });
      return r.tasks.find((t) => t.id === taskId);
    });
    const approval = await rpc().call('juggernaut.approval.request.v1', {
      taskId,
      workerId: 'approval-worker',
      action: 'tool:payments.send',
      argsHash: `sha256:${randomBytes(8).toString('hex')}`,
      args: { to: 'supplier', amountMinor: 90_000 },
      amountMinor: 90_000,
      reason: 'above the approval threshold',
    });
    expect(approval.status).toBe('pending');
    expect(
      await rpc().call('juggernaut.task.block.v1', {
        taskId,
        claimToken: claimed.claimToken,
        workerId: 'approval-worker',
        blockedOn: 'approval',
        reason: 'waiting for approval',
        approvalId: approval.id,
      }),
    ).toEqual({ blocked: true });
    expect((await admin().get(`/api/v1/tasks/${taskId}`)).body.status).toBe('blocked');
    return { taskId, approvalId: approval.id };
  }
  const claimIds = async () =>
    (
      await rpc().call('juggernaut.task.claim.v1', {
        workerId: 'approval-worker-2',
        level: 5,
        capabilities: [],
        types: ['manual'],
        max: 10,
      })
    ).tasks.map((t) => t.id);
  const settled = (taskId: string) =>
    eventually(async () => {
      const t = (await admin().get(`/api/v1/tasks/${taskId}`)).body;
      return t.status !== 'blocked' ? t : undefined;
    });

  beforeAll(async () => {
    stack = await TestStack.create('approvalout');
    url = (await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN, JUGGERNAUT_APPROVAL_SWEEP_MS: '100' })).url;
    await stack.start(taskDispatcher);
    nc = await connectTestNats();
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
    operator = apiClient(
      url,
      (await admin().post('/api/v1/api-keys', { name: 'approver', role: 'operator' })).body.key,
    );
  });

  afterAll(async () => {
    await pg?.end();
    await nc?.close();
    await stack?.close();
  });

  it('approved: the task goes back to pending and can be claimed again', async () => {
    const { taskId, approvalId } = await parked();
    expect(
      (await operator.post(`/api/v1/approvals/${approvalId}/approve`, { reason: 'expected invoice' })).status,
    ).toBe(200);
    expect(await settled(taskId)).toMatchObject({ status: 'pending' });
    expect(await eventually(async () => ((await claimIds()).includes(taskId) ? true : undefined))).toBe(true);
  });

  it('rejected: the task is dead with the reason and is never claimed again', async () => {
    const { taskId, approvalId } = await parked();
    expect((await operator.post(`/api/v1/approvals/${approvalId}/reject`, { reason: 'unknown supplier' })).status).toBe(
      200,
    );
    const t = await settled(taskId);
    expect(t).toMatchObject({ status: 'dead' });
    expect(t.reason).toMatch(/rejected: unknown supplier/);
    expect(await claimIds()).not.toContain(taskId);
  });

  it('expired: nobody decided in time, so the approval expires (never approved) and the task is dead', async () => {
    const { taskId, approvalId } = await parked();
    await pg.query(`UPDATE governance.approvals SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      approvalId,
    ]);
    const t = await settled(taskId);
    expect(t).toMatchObject({ status: 'dead' });
    expect(t.reason).toMatch(/expired/);
    expect((await admin().get(`/api/v1/approvals/${approvalId}`)).body).toMatchObject({
      status: 'expired',
      decidedBy: 'system:approval-expiry',
    });
    expect((await operator.post(`/api/v1/approvals/${approvalId}/approve`, {})).status).toBe(409);
    expect((await admin().get(`/api/v1/tasks/${taskId}`)).body.status).toBe('dead');
  });
});
