import { ArgsValidator } from '../tools/args-validator';
import type { JsonSchema } from '../tools/tool';
import {
  answerJson,
  answerRetryPrompt,
  approvalVerdict,
  budgetLeftMinor,
  budgetStop,
  gateToolCall,
  invalidStreakStop,
  MAX_TOOL_RESULT_CHARS,
  maxStepsFor,
  parseArgs,
  stepCostMinor,
  stopBeforeStep,
  timeoutStop,
  truncateToolResult,
} from './agent-rules';

describe('agent rules: budget arithmetic', () => {
  it('leaves the budget less what was spent, never below zero, and nothing to count without a budget', () => {
    expect(budgetLeftMinor(1_000, 250)).toBe(750);
    expect(budgetLeftMinor(1_000, 1_000)).toBe(0);
    expect(budgetLeftMinor(1_000, 1_250)).toBe(0);
    expect(budgetLeftMinor(null, 1_250)).toBeNull();
  });

  it('charges a call its reported usage at the model price, rounded up to a whole minor unit', () => {
    const price = { prompt: 300, completion: 1_500 }; // minor units per million tokens
    // 1,000 × 300 + 200 × 1,500 = 600,000 millionths: 0.6 minor units, charged as 1
    expect(stepCostMinor(price, { promptTokens: 1_000, completionTokens: 200 }, 50)).toBe(1);
    expect(stepCostMinor(price, { promptTokens: 2_000_000, completionTokens: 1_000_000 }, 50)).toBe(2_100);
  });

  it('charges the whole reservation when the provider reports no usage', () => {
    expect(stepCostMinor({ prompt: 300, completion: 1_500 }, undefined, 50)).toBe(50);
  });

  it('stops for budget before a call the budget refuses, saying what it needed and that nothing was sent', () => {
    expect(budgetStop('task budget exhausted', 42, 'USD')).toEqual({
      reason: 'budget',
      detail: 'task budget exhausted (the next call needed up to 42 USD minor units; no request was made)',
    });
  });
});

describe('agent rules: stop reasons', () => {
  it('lets a task ask for fewer model calls than the runner allows, never more', () => {
    expect(maxStepsFor(undefined, 12)).toBe(12);
    expect(maxStepsFor(5, 12)).toBe(5);
    expect(maxStepsFor(50, 12)).toBe(12);
  });

  it('stops on time before steps, and on steps once this run made as many as allowed', () => {
    const run = { made: 3, maxSteps: 3, timedOut: false, timeoutMs: 60_000 };
    expect(stopBeforeStep({ ...run, made: 2 })).toBeUndefined();
    expect(stopBeforeStep(run)).toEqual({ reason: 'max_steps', detail: '3 model calls made, the limit is 3' });
    expect(stopBeforeStep({ ...run, timedOut: true })).toEqual(timeoutStop(60_000));
    expect(timeoutStop(60_000)).toEqual({ reason: 'timeout', detail: 'active time over 60000 ms' });
  });

  it('sends invalid calls and answers back `retries` times in a row, and calls the next one a loop', () => {
    expect(invalidStreakStop(2, 2)).toBeUndefined();
    expect(invalidStreakStop(3, 2)).toEqual({ reason: 'loop_detected', detail: '3 invalid tool calls in a row' });
    expect(invalidStreakStop(3, 2, 'it is not JSON')).toEqual({
      reason: 'loop_detected',
      detail: 'the final answer was invalid 3 times in a row: it is not JSON',
    });
  });
});

describe('agent rules: tool calls', () => {
  const validator = new ArgsValidator();
  const fetch = {
    name: 'http_fetch',
    parameters: {
      type: 'object',
      properties: { url: { type: 'string' } },
      required: ['url'],
      additionalProperties: false,
    } as JsonSchema,
  };
  const gate = (args: string, over: Partial<Parameters<typeof gateToolCall>[1]> = {}) =>
    gateToolCall(
      { name: over.tool === undefined && 'tool' in over ? 'write_file' : 'http_fetch', arguments: args },
      {
        tool: fetch,
        available: ['http_fetch', 'log'],
        validate: (s, v) => validator.check(s, v),
        level: 2,
        neededLevel: 2,
        ...over,
      },
    );

  it('runs a call with valid arguments from a worker of the tool level', () => {
    expect(gate('{"url":"https://example.com"}')).toEqual({
      run: true,
      tool: fetch,
      args: { url: 'https://example.com' },
    });
  });

  it('refuses a tool the run does not offer when the run says why, without counting it as invalid', () => {
    expect(gate('{}', { tool: undefined, refusal: 'this conversation may only read' })).toEqual({
      run: false,
      outcome: 'refused',
      content: 'refused: this conversation may only read',
      invalid: false,
    });
  });

  it('answers an unknown tool with the tools there are, as an invalid call', () => {
    expect(gate('{}', { tool: undefined })).toEqual({
      run: false,
      outcome: 'error',
      content: 'error: there is no tool named "write_file". Available: http_fetch, log',
      invalid: true,
    });
  });

  it('sends arguments that are not a JSON object back with the schema, as an invalid call', () => {
    for (const raw of ['not json', '[1]', 'null']) {
      const g = gate(raw);
      expect(g).toMatchObject({ run: false, outcome: 'error', invalid: true });
      expect(!g.run && g.content).toContain('the arguments are not a JSON object');
      expect(!g.run && g.content).toContain(JSON.stringify(fetch.parameters));
    }
    expect(parseArgs('')).toEqual({ ok: true, value: {} });
  });

  it('sends arguments the schema rejects back with the problems, as an invalid call', () => {
    const g = gate('{"url":"https://example.com","method":"DELETE"}');
    expect(g).toMatchObject({ run: false, outcome: 'error', invalid: true });
    expect(!g.run && g.content).toMatch(/^error: invalid arguments: .*additional properties: method/);
  });

  it('denies a tool above the worker level, telling the model to do without it (not an invalid call)', () => {
    expect(gate('{"url":"https://example.com"}', { level: 1, neededLevel: 3 })).toEqual({
      run: false,
      outcome: 'denied',
      content: 'denied: http_fetch needs autonomy level 3; this worker is level 1. Do the task without it.',
      invalid: false,
      args: { url: 'https://example.com' },
    });
  });

  it('runs without an approval or with an approved one, waits on a pending one, stops on any other', () => {
    expect(approvalVerdict(undefined, 'pay')).toEqual({ kind: 'run' });
    expect(approvalVerdict({ id: 'a1', status: 'approved' }, 'pay')).toEqual({ kind: 'run' });
    expect(approvalVerdict({ id: 'a1', status: 'pending' }, 'pay')).toEqual({
      kind: 'wait',
      approvalId: 'a1',
    });
    expect(approvalVerdict({ id: 'a1', status: 'rejected', decisionReason: 'too much' }, 'pay')).toEqual({
      kind: 'denied',
      detail: 'approval a1 for pay was rejected: too much',
    });
    expect(approvalVerdict({ id: 'a1', status: 'expired' }, 'pay')).toEqual({
      kind: 'denied',
      detail: 'approval a1 for pay was expired',
    });
  });

  it('cuts a tool result the model sees at the limit, saying so', () => {
    const long = 'x'.repeat(MAX_TOOL_RESULT_CHARS + 1);
    expect(truncateToolResult('short')).toBe('short');
    expect(truncateToolResult(long)).toBe(`${'x'.repeat(MAX_TOOL_RESULT_CHARS)}… [truncated]`);
  });
});

describe('agent rules: final answers', () => {
  it('reads a JSON answer, with or without a Markdown code fence', () => {
    expect(answerJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(answerJson('```json\n{"a":1}\n```')).toEqual({ ok: true, value: { a: 1 } });
    expect(answerJson('Here it is: {"a":1}')).toEqual({ ok: false, error: 'it is not JSON' });
  });

  it('asks again with the problem, and the schema when the answer must be JSON', () => {
    expect(answerRetryPrompt('cites nothing')).toBe('Your answer is not valid: cites nothing. Answer again.');
    expect(answerRetryPrompt('it is not JSON', { type: 'object' } as JsonSchema)).toBe(
      'Your answer is not valid: it is not JSON. Reply with JSON only, matching this schema: {"type":"object"}',
    );
  });
});
