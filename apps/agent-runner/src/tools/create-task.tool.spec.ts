import { levelFor, TYPE_LEVELS } from './create-task.tool';

describe('the level of a sub-task', () => {
  it('is never below its type level, whatever level was asked for', () => {
    expect(levelFor('goal.plan', 1)).toBe(TYPE_LEVELS['goal.plan']);
    expect(levelFor('opportunity.scan', 2)).toBe(4);
    expect(levelFor('agent.goal', 3)).toBe(3);
  });

  it('keeps a higher level asked for, and level 1 as the floor of a type with no level of its own', () => {
    expect(levelFor('agent.goal', 5)).toBe(5);
    expect(levelFor('noop', 0)).toBe(1);
  });
});
