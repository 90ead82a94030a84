import { agentStateOf, newAgentState, pendingToolCalls } from './agent-state';

const call = (id: string, name = 'log') => ({ id, type: 'function' as const, function: { name, arguments: '{}' } });

describe('agent state', () => {
  it('finds the tool calls of the last step that have no result yet', () => {
    const s = newAgentState('sys', 'goal');
    s.messages.push({ role: 'assistant', content: null, tool_calls: [call('a'), call('b', 'http_fetch'), call('c')] });
    s.messages.push({ role: 'tool', tool_call_id: 'a', content: 'ok' });
    expect(pendingToolCalls(s.messages).map((c) => [c.id, c.index])).toEqual([
      ['b', 1],
      ['c', 2],
    ]);
    s.messages.push(
      { role: 'tool', tool_call_id: 'b', content: 'ok' },
      { role: 'tool', tool_call_id: 'c', content: 'ok' },
    );
    expect(pendingToolCalls(s.messages)).toEqual([]);
  });

  it('has nothing pending after a plain answer or at the start', () => {
    const s = newAgentState('sys', 'goal');
    expect(pendingToolCalls(s.messages)).toEqual([]);
    s.messages.push({ role: 'assistant', content: 'done' });
    expect(pendingToolCalls(s.messages)).toEqual([]);
  });

  it('reads the state back from a checkpoint and ignores anything else', () => {
    const s = newAgentState('sys', 'goal');
    expect(agentStateOf({ agent: JSON.parse(JSON.stringify(s)) })).toEqual(s);
    expect(agentStateOf(null)).toBeUndefined();
    expect(agentStateOf({ other: 1 })).toBeUndefined();
  });
});
