import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { checkGrounding, evidenceOf, numbersIn, toolResults } from './grounding';

const EXP = '7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001';
const pnl = JSON.stringify({
  groupBy: 'experiment',
  rows: [{ key: EXP, currency: 'USD', revenueMinor: 125000, costMinor: 2350, netMinor: 122650 }],
});
const summary = JSON.stringify({
  baseCurrency: 'USD',
  targetMinor: 10000000000,
  progressRatio: 0.0000125,
  transactions: 3,
});

describe('grounding an answer in tool results', () => {
  const evidence = evidenceOf([
    { tool: 'ledger_pnl', content: pnl },
    { tool: 'ledger_summary', content: summary },
  ]);

  it('reads numbers as written: separators, decimals, percentages, not digits inside ids or words', () => {
    expect(numbersIn('revenue 1,250,000.50 USD, 12.5% up, 3 tasks').map((n) => [n.canonical, n.percent])).toEqual([
      ['1250000.5', false],
      ['12.5', true],
      ['3', false],
    ]);
    expect(numbersIn('gpt-4o and L3 and v1.2 and 3f2a9c1e').map((n) => n.canonical)).toEqual([]);
    expect(numbersIn('a loss of -1200.').map((n) => n.canonical)).toEqual(['1200']);
  });

  it('passes an answer whose every number is in a tool result and which cites the id it rests on', () => {
    const g = checkGrounding(
      `Experiment [${EXP}] earned 125000 USD minor units ($1,250.00) and cost 2,350, net 122650.`,
      evidence,
    );
    expect(g).toMatchObject({ ok: true, problems: [], citations: [{ ref: EXP, tool: 'ledger_pnl' }] });
    expect(g.numbers).toEqual(expect.arrayContaining(['125000', '1250', '2350', '122650']));
  });

  it('refuses a number no tool returned, naming it, however plausible', () => {
    const g = checkGrounding(`Experiment [${EXP}] earned 130000 USD minor units.`, evidence);
    expect(g.ok).toBe(false);
    expect(g.problems[0]).toContain('(130000)');
  });

  it('refuses a citation no tool returned, and numbers cited by nothing', () => {
    expect(checkGrounding('Revenue was 125000 [made-up-id].', evidence).problems.join(' ')).toContain(
      '[made-up-id], which no tool returned',
    );
    expect(checkGrounding('Revenue was 125000.', evidence).problems.join(' ')).toContain('without citing');
  });

  it('takes a tool name as the citation of a result without ids, ratios as percentages rounded as written, and exempts dates', () => {
    expect(
      checkGrounding('We are at 0.00125% of the target [ledger_summary] as of 2026-05-17 10:00.', evidence),
    ).toMatchObject({ ok: true });
    expect(checkGrounding('We are at 0.1% of the target [ledger_summary].', evidence).ok).toBe(false);
  });

  it("lets an answer repeat the question's numbers and list items, and earlier answers' evidence", () => {
    const g = checkGrounding('1. The top 3 experiments:\n2. none [ledger_pnl]', evidence, [
      'What are the top 3 experiments?',
    ]);
    expect(g.ok).toBe(true);
    const later = evidenceOf([], { numbers: ['777'], refs: ['task-abc'] });
    expect(checkGrounding('It was 777 [task-abc].', later)).toMatchObject({
      ok: true,
      citations: [{ ref: 'task-abc', tool: 'earlier turn' }],
    });
  });

  it('passes an answer without numbers, with or without citations', () => {
    expect(
      checkGrounding(
        'Nothing is waiting for approval [approvals_list].',
        evidenceOf([{ tool: 'approvals_list', content: '{"items":[]}' }]),
      ).ok,
    ).toBe(true);
    expect(
      checkGrounding('I cannot change anything; an admin can: PUT /api/v1/policies/kill-switch.', evidence).ok,
    ).toBe(true);
  });

  it('takes evidence only from tool results that are not errors, refusals or denials', () => {
    const messages: ChatCompletionMessageParam[] = [
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'task_get', arguments: '{}' } },
          { id: 'b', type: 'function', function: { name: 'audit_log', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'a', content: '{"id":"t-1","attempts":4}' },
      {
        role: 'tool',
        tool_call_id: 'b',
        content: 'refused: audit_log needs an admin or operator key; this is 9 times',
      },
    ];
    const e = evidenceOf(toolResults(messages));
    expect(e.numbers.has('4')).toBe(true);
    expect(e.numbers.has('9')).toBe(false);
    expect(e.refs.get('t-1')).toBe('task_get');
    expect(e.refs.has('audit_log')).toBe(false);
  });
});
