import { apiClient, TestStack } from '@juggernaut/testing';
import { Client } from 'pg';
import { taskDispatcher } from '../src/service';

/**
 * juggernaut_tasks_due_or_running: what agent-runner's autoscaler reads
 * (k8s/components/keda-autoscaling; tools/deploy/k8s.spec.ts evaluates its query). Due tasks and
 * running tasks by type and required level, read from Postgres at each scrape; work not due yet,
 * blocked or finished is not in it.
 */
describe('the runner backlog gauge', () => {
  let stack: TestStack;
  let metricsUrl: string;

  beforeAll(async () => {
    stack = await TestStack.create('backlog');
    metricsUrl = (await stack.start(taskDispatcher)).metricsUrl;
  });

  afterAll(async () => {
    await stack?.close();
  });

  const scrape = async () => {
    const text = (await apiClient(metricsUrl).get<string>('/metrics')).body;
    return Object.fromEntries(
      [...text.matchAll(/^juggernaut_tasks_due_or_running\{([^}]*)\} (\d+)$/gm)].map((m) => {
        const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
        return [`${labels['type']} L${labels['level']} ${labels['state']}`, Number(m[2])];
      }),
    );
  };

  it('counts due and running tasks by type and required level, and nothing else', async () => {
    expect(await scrape()).toEqual({});
    const db = new Client({ connectionString: stack.db.url });
    await db.connect();
    try {
      const insert = (type: string, level: number, status: string, n: number, extra = '') =>
        db.query(
          `INSERT INTO dispatch.tasks (type, required_level, status, sort_key, run_at, lease_expires_at)
         SELECT $1, $2, $3, now(), now() ${extra}, CASE WHEN $3 = 'running' THEN now() + interval '1 minute' END FROM generate_series(1, $4)`,
          [type, level, status, n],
        );
      await insert('noop', 1, 'pending', 3);
      await insert('noop', 1, 'failed', 1); // a retry that is due
      await insert('noop', 1, 'failed', 4, "+ interval '1 hour'"); // backing off: not due
      await insert('agent.goal', 3, 'running', 2);
      await insert('dev.change', 4, 'pending', 5);
      await insert('noop', 1, 'scheduled', 6, "+ interval '1 day'"); // not due
      await insert('noop', 1, 'blocked', 7);
      await insert('noop', 1, 'succeeded', 8);
    } finally {
      await db.end();
    }
    expect(await scrape()).toEqual({ 'noop L1 due': 4, 'agent.goal L3 running': 2, 'dev.change L4 due': 5 });
  });
});
