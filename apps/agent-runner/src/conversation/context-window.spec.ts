import { estimateTokens, planCompaction, type WindowTurn } from './context-window';

const turn = (seq: number, chars: number): WindowTurn => ({
  seq,
  author: seq % 2 ? 'user' : 'assistant',
  content: 'x'.repeat(chars),
});

describe('what of a conversation the model is sent', () => {
  it('estimates high: a token for every four bytes of UTF-8, plus framing', () => {
    expect(estimateTokens('')).toBe(4);
    expect(estimateTokens('abcd')).toBe(5);
    expect(estimateTokens('é'.repeat(4))).toBe(6);
  });

  it('sends everything while it fits the budget', () => {
    const turns = [turn(1, 400), turn(2, 400)];
    expect(planCompaction(100, turns, 1_000)).toMatchObject({ throughSeq: null, summarise: [], keep: turns });
  });

  it('over the budget, summarises the oldest turns and keeps the newest that fit in half of it', () => {
    const turns = [turn(1, 2_000), turn(2, 2_000), turn(3, 400), turn(4, 400)];
    const plan = planCompaction(100, turns, 1_200);
    expect(plan.throughSeq).toBe(2);
    expect(plan.summarise.map((t) => t.seq)).toEqual([1, 2]);
    expect(plan.keep.map((t) => t.seq)).toEqual([3, 4]);
    expect(plan.tokens).toBeGreaterThan(1_200);
  });

  it('never keeps an answer without its question', () => {
    const turns = [turn(1, 400), turn(2, 1_000), turn(3, 2_000), turn(4, 300)];
    const plan = planCompaction(50, turns, 900);
    expect(plan.keep.map((t) => t.seq)).toEqual([]);
    expect(plan.throughSeq).toBe(4);
  });

  it('keeps everything when there is nothing older to summarise', () => {
    expect(planCompaction(5_000, [], 1_000)).toMatchObject({ throughSeq: null, keep: [] });
  });
});
