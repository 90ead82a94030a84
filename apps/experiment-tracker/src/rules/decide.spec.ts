import type { DecisionRuleV1, GuardrailV1 } from '@juggernaut/contracts';
import { analyze, inputFromTotals, type VariantStats } from '../analysis/analyze';
import { decide } from './decide';

const RULE: DecisionRuleV1 = {
  method: 'bayesian',
  minUnitsPerVariant: 100,
  maxUnitsPerVariant: null,
  chanceToWinThreshold: 0.95,
  maxRelativeLoss: 0.01,
  alpha: 0.05,
};

function variant(key: string, units: number, conversions: number, control = false, weight = 50): VariantStats {
  return {
    key,
    control,
    weight,
    units,
    conversions,
    valueSum: conversions * 1000,
    valueSumSquares: conversions * 1000 ** 2,
    revenueMinor: 0,
  };
}

function run(
  variants: VariantStats[],
  over: {
    rule?: Partial<DecisionRuleV1>;
    guardrails?: GuardrailV1[];
    budget?: number;
    spent?: number;
    previous?: Record<string, number>;
  } = {},
) {
  const input = inputFromTotals('conversion', variants, {
    guardrails: over.guardrails ?? [],
    rule: { ...RULE, ...over.rule },
    previousAlwaysValid: over.previous ?? {},
  });
  const analysis = analyze(input);
  return { analysis, decision: decide({ analysis, budgetMinor: over.budget ?? 100_000, spentMinor: over.spent ?? 0 }) };
}

describe('decision rules', () => {
  it('concludes for a variant that is very likely best at a small risk, with its numbers', () => {
    const { decision } = run([variant('control', 5000, 500, true), variant('b', 5000, 650)]);
    expect(decision).toMatchObject({ action: 'conclude', winner: 'b' });
    const numbers = decision.numbers as { variants: Array<{ key: string; chanceToBeBest: number }> };
    expect(numbers.variants.find((v) => v.key === 'b')!.chanceToBeBest).toBeGreaterThan(0.99);
  });

  it('keeps running while the evidence is weak', () => {
    expect(run([variant('control', 1000, 100, true), variant('b', 1000, 110)]).decision.action).toBe('continue');
  });

  it('waits for the minimum sample, however large the difference', () => {
    const { decision } = run([variant('control', 50, 1, true), variant('b', 50, 40)]);
    expect(decision.action).toBe('continue');
    expect(decision.reason).toContain('waiting for 100 units');
  });

  it('blocks any decision on a sample ratio mismatch, even with a clear winner', () => {
    const { decision, analysis } = run([variant('control', 5000, 500, true), variant('b', 5600, 800)]);
    expect(analysis.srm.flagged).toBe(true);
    expect(decision.action).toBe('blocked');
    expect(decision.reason).toContain('sample ratio mismatch');
  });

  it('stops when the budget is spent', () => {
    const { decision } = run([variant('control', 10, 1, true), variant('b', 10, 1)], { budget: 1000, spent: 1000 });
    expect(decision).toMatchObject({ action: 'stop' });
    expect(decision.reason).toContain('budget spent (1000 of 1000');
  });

  it('stops when a guardrail is breached, only after the minimum sample', () => {
    const guardrails: GuardrailV1[] = [{ metric: 'conversion', maxRelativeDrop: 0.1, confidence: 0.95 }];
    expect(
      run([variant('control', 2000, 200, true), variant('b', 2000, 120)], { guardrails }).decision.reason,
    ).toContain('guardrail conversion breached by b');
    expect(run([variant('control', 50, 5, true), variant('b', 50, 0)], { guardrails }).decision.action).toBe(
      'continue',
    );
  });

  it('sequential method: concludes on an always-valid p below alpha, remembering earlier looks', () => {
    const strong = run([variant('control', 5000, 500, true), variant('b', 5000, 650)], {
      rule: { method: 'sequential' },
    });
    expect(strong.decision).toMatchObject({ action: 'conclude', winner: 'b' });
    const weak = run([variant('control', 1000, 100, true), variant('b', 1000, 112)], {
      rule: { method: 'sequential' },
    });
    expect(weak.decision.action).toBe('continue');
    // An earlier look already crossed: the always-valid p-value is the minimum over looks.
    const remembered = run([variant('control', 1000, 100, true), variant('b', 1000, 112)], {
      rule: { method: 'sequential' },
      previous: { b: 0.001 },
    });
    expect(remembered.analysis.alwaysValid['b']).toBe(0.001);
    expect(remembered.decision).toMatchObject({ action: 'conclude', winner: 'b' });
  });

  it('concludes keeping the control at the maximum sample without a winner', () => {
    const { decision } = run([variant('control', 3000, 300, true), variant('b', 3000, 305)], {
      rule: { maxUnitsPerVariant: 3000 },
    });
    expect(decision).toMatchObject({ action: 'conclude', winner: 'control' });
  });

  it('with several variants, picks the one most likely best and Holm-adjusts the p-values', () => {
    const { decision, analysis } = run([
      variant('control', 6000, 600, true, 34),
      variant('b', 6000, 780, false, 33),
      variant('c', 6000, 640, false, 33),
    ]);
    expect(decision).toMatchObject({ action: 'conclude', winner: 'b' });
    const b = analysis.variants.find((v) => v.key === 'b')!;
    const c = analysis.variants.find((v) => v.key === 'c')!;
    expect(b.frequentist!.adjustedPValue).toBeGreaterThanOrEqual(b.frequentist!.pValue);
    expect(c.frequentist!.adjustedPValue).toBeCloseTo(
      Math.min(1, Math.max(c.frequentist!.pValue, 2 * b.frequentist!.pValue)),
      12,
    );
    expect(analysis.variants.reduce((s, v) => s + v.bayesian!.chanceToBeBest, 0)).toBeCloseTo(1, 9);
  });
});
