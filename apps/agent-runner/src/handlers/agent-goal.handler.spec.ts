import type { AgentRunResult } from '../agent/agent-loop';
import { goalPayload, outcomeOf } from './agent-goal.handler';
import { BlockTaskError, TerminalTaskError } from './task-handler';

const run = (over: Partial<AgentRunResult>): AgentRunResult => ({
  stopReason: 'completed',
  steps: 3,
  tokens: { prompt: 120, completion: 40 },
  costMinor: 7,
  currency: 'USD',
  ...over,
});

describe('agent.goal: how a run ends the task', () => {
  it('completes the task with the answer, the steps, the tokens and the cost', () => {
    expect(outcomeOf(run({ answer: { done: true } }))).toEqual({
      stopReason: 'completed',
      answer: { done: true },
      steps: 3,
      tokens: { prompt: 120, completion: 40 },
      costMinor: 7,
      currency: 'USD',
    });
  });

  it('parks the task blocked on budget when the budget stopped it, its work kept for a raised cap', () => {
    const thrown = (() => {
      try {
        outcomeOf(run({ stopReason: 'budget', detail: 'daily cap reached' }));
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(BlockTaskError);
    expect(thrown).toMatchObject({ blockedOn: 'budget', message: 'budget: daily cap reached' });
  });

  it.each(['max_steps', 'loop_detected', 'timeout', 'denied', 'cancelled'] as const)(
    'fails the task for good, naming the reason, when it stopped with %s',
    (stopReason) => {
      expect(() => outcomeOf(run({ stopReason, detail: 'why' }))).toThrow(TerminalTaskError);
      expect(() => outcomeOf(run({ stopReason, detail: 'why' }))).toThrow(`${stopReason}: why`);
      expect(() => outcomeOf(run({ stopReason }))).toThrow(`${stopReason}: stopped`);
    },
  );
});

describe('agent.goal: the payload', () => {
  it('takes a goal, with an optional step limit and output schema', () => {
    expect(goalPayload({ goal: 'find leads' })).toEqual({ goal: 'find leads' });
    const schema = { type: 'object', properties: {} };
    expect(goalPayload({ goal: 'g', maxSteps: 4, outputSchema: schema })).toEqual({
      goal: 'g',
      maxSteps: 4,
      outputSchema: schema,
    });
  });

  it('fails a payload no run could use at once, saying what is wrong', () => {
    expect(() => goalPayload({ goal: '  ' })).toThrow('goal must be a non-empty string');
    expect(() => goalPayload({})).toThrow(TerminalTaskError);
    for (const maxSteps of [0, 1.5, '3'])
      expect(() => goalPayload({ goal: 'g', maxSteps })).toThrow('maxSteps must be a positive integer');
    for (const outputSchema of [null, 'x', { type: 'array' }])
      expect(() => goalPayload({ goal: 'g', outputSchema })).toThrow(
        'outputSchema must be a JSON schema of type object',
      );
  });
});
