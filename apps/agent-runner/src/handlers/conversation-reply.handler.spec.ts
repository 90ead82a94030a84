import { outcomeOfResult, stopMessage, toolCallsOf } from './conversation-reply.handler';

describe('conversation.reply: a stopped answer', () => {
  it('says why it stopped and what the caller can do, per stop reason', () => {
    expect(stopMessage('budget', 'daily cap reached')).toBe(
      'I had to stop: the next model call would have gone over a budget (daily cap reached). Nothing more was spent. ' +
        "An admin can raise the policy's caps (PUT /api/v1/policies), or start a new conversation with a larger budgetMinor.",
    );
    expect(stopMessage('max_steps', undefined)).toBe(
      'I stopped without an answer: the step limit was reached. Ask a narrower question.',
    );
    expect(stopMessage('loop_detected', '3 invalid tool calls in a row')).toBe(
      "I stopped without an answer I could ground in the system's data (3 invalid tool calls in a row).",
    );
    expect(stopMessage('timeout', 'active time over 60000 ms')).toBe(
      'I stopped: the answer took too long (active time over 60000 ms).',
    );
    expect(stopMessage('denied', undefined)).toBe('I stopped: denied.');
    expect(stopMessage('cancelled', 'kill switch')).toBe('I stopped: cancelled (kill switch).');
  });
});

describe('conversation.reply: the tool calls of an answer', () => {
  it('reads how each call went from the prefix of its result', () => {
    expect(outcomeOfResult('{"rows":[]}')).toBe('ok');
    expect(outcomeOfResult('error: invalid arguments')).toBe('error');
    expect(outcomeOfResult('denied: needs level 3')).toBe('denied');
    expect(outcomeOfResult('refused: read-only')).toBe('refused');
  });

  it('lists every call the model made, in order, an unanswered one as an error', () => {
    const call = (id: string, name: string) => ({ id, type: 'function' as const, function: { name, arguments: '{}' } });
    expect(
      toolCallsOf([
        { role: 'user', content: 'how much did we make?' },
        { role: 'assistant', content: null, tool_calls: [call('a', 'ledger_summary'), call('b', 'create_task')] },
        { role: 'tool', tool_call_id: 'a', content: '{"revenue":1}' },
        { role: 'tool', tool_call_id: 'b', content: 'refused: read-only' },
        { role: 'assistant', content: null, tool_calls: [call('c', 'list_tasks')] },
      ]),
    ).toEqual([
      { name: 'ledger_summary', outcome: 'ok' },
      { name: 'create_task', outcome: 'refused' },
      { name: 'list_tasks', outcome: 'error' },
    ]);
  });
});
