import type { PermissionPolicyV1 } from '@juggernaut/contracts';
import { submissionRefusal, withRequester } from './task-submission';

const open: PermissionPolicyV1 = { taskTypes: {}, tools: {} };

describe('who may submit which task', () => {
  it('keeps dev.change and goal.plan to admin and operator keys by default, naming the rule', () => {
    for (const type of ['dev.change', 'goal.plan']) {
      expect(submissionRefusal(open, 'agent', { type })).toBe(
        `policy rule permissions.taskSubmitters: the default lets only admin, operator keys submit "${type}" tasks, not agent keys`,
      );
      expect(submissionRefusal(open, 'operator', { type })).toBeUndefined();
      expect(submissionRefusal(open, 'admin', { type })).toBeUndefined();
    }
    expect(submissionRefusal(open, 'agent', { type: 'agent.goal' })).toBeUndefined();
  });

  it('follows the policy: an entry replaces the default for its type and can close any type', () => {
    const policy = {
      ...open,
      taskSubmitters: { 'dev.change': ['admin', 'operator', 'agent'] as const, noop: [] as const },
    } as unknown as PermissionPolicyV1;
    expect(submissionRefusal(policy, 'agent', { type: 'dev.change' })).toBeUndefined();
    expect(submissionRefusal(policy, 'admin', { type: 'noop' })).toContain(
      'the policy lets no API key submit "noop" tasks',
    );
    // the other default still stands
    expect(submissionRefusal(policy, 'agent', { type: 'goal.plan' })).toContain('permissions.taskSubmitters');
  });

  it('lets no key submit the task that answers in a conversation: only a question creates one', () => {
    for (const role of ['admin', 'operator', 'agent'] as const) {
      expect(submissionRefusal(open, role, { type: 'conversation.reply' })).toBe(
        '"conversation.reply" tasks are created only for a question asked with POST /api/v1/conversations/{id}/messages',
      );
    }
    const opened = {
      ...open,
      taskSubmitters: { 'conversation.reply': ['admin'] as const },
    } as unknown as PermissionPolicyV1;
    expect(submissionRefusal(opened, 'admin', { type: 'conversation.reply' })).toContain('created only for a question');
  });

  it('keeps agent keys below level 5: by requiredLevel or by the level the policy sets for the type', () => {
    expect(submissionRefusal(open, 'agent', { type: 'agent.goal', requiredLevel: 5 })).toBe(
      'policy rule permissions.agentMaxSubmitLevel: agent keys may submit tasks up to level 4; this "agent.goal" task needs level 5',
    );
    expect(submissionRefusal(open, 'agent', { type: 'agent.goal', requiredLevel: 4 })).toBeUndefined();
    expect(
      submissionRefusal({ ...open, taskTypes: { 'experiment.run': 5 } }, 'agent', { type: 'experiment.run' }),
    ).toContain('needs level 5');
    expect(
      submissionRefusal({ ...open, agentMaxSubmitLevel: 2 }, 'agent', { type: 'agent.goal', requiredLevel: 3 }),
    ).toContain('up to level 2');
    expect(submissionRefusal(open, 'operator', { type: 'agent.goal', requiredLevel: 5 })).toBeUndefined();
  });

  it('does not read inherited properties as policy entries', () => {
    expect(submissionRefusal(open, 'agent', { type: 'constructor' })).toBeUndefined();
    expect(submissionRefusal(open, 'agent', { type: '__proto__' })).toBeUndefined();
  });
});

describe('who requested a task', () => {
  it('is the key that submitted it, whatever the payload says', () => {
    expect(withRequester('dev.change', { repository: 'shop', goal: 'x', requestedBy: 'admin' }, 'agent-7')).toEqual({
      repository: 'shop',
      goal: 'x',
      requestedBy: 'agent-7',
    });
    expect(withRequester('dev.change', undefined, 'ops')).toEqual({ requestedBy: 'ops' });
    expect(withRequester('agent.goal', { goal: 'g', requestedBy: 'someone' }, 'agent-7')).toEqual({
      goal: 'g',
      requestedBy: 'agent-7',
    });
    const payload = { sleepMs: 1 };
    expect(withRequester('noop', payload, 'agent-7')).toBe(payload);
  });
});
