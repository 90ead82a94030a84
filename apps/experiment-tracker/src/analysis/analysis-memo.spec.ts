import type { DecisionRuleV1 } from '@juggernaut/contracts';
import { storedSettings } from '../experiments/experiment-settings';
import { AnalysisMemo } from './analysis-memo';
import { type Analysis, analyze, inputFromTotals, type VariantStats } from './analyze';

/** Every figure of an analysis (posteriors by their parameters: their functions are new each time). */
const figures = (a: Analysis) =>
  JSON.stringify({ ...a, posteriors: a.posteriors.map((p) => p && { kind: p.kind, mean: p.mean, sd: p.sd }) });

const RULE: DecisionRuleV1 = {
  method: 'bayesian',
  minUnitsPerVariant: 100,
  maxUnitsPerVariant: null,
  chanceToWinThreshold: 0.95,
  maxRelativeLoss: 0.01,
  alpha: 0.05,
};

const variant = (key: string, units: number, conversions: number, control = false): VariantStats => ({
  key,
  control,
  weight: 50,
  units,
  conversions,
  valueSum: conversions * 1000,
  valueSumSquares: conversions * 1000 ** 2,
  revenueMinor: 0,
});

const input = (conversionsB: number, previous: Record<string, number> = {}) =>
  inputFromTotals('conversion', [variant('control', 1000, 100, true), variant('b', 1000, conversionsB)], {
    guardrails: [],
    rule: RULE,
    previousAlwaysValid: previous,
  });

describe('AnalysisMemo', () => {
  it('returns the kept analysis for an equal input (a later now), and the analysis of the input itself', () => {
    const memo = new AnalysisMemo();
    const first = memo.analyze('e', input(130));
    expect(figures(first)).toBe(figures(analyze(input(130))));
    const later = { ...input(130), now: new Date(Date.now() + 60_000) };
    expect(memo.analyze('e', later)).toBe(first);
  });

  it('analyses again when the data or the stored state changed, per experiment', () => {
    const memo = new AnalysisMemo();
    const first = memo.analyze('e', input(130));
    const moreData = memo.analyze('e', input(131));
    expect(moreData).not.toBe(first);
    expect(figures(moreData)).toBe(figures(analyze(input(131))));
    expect(figures(memo.analyze('e', input(131, { b: 0.2 })))).toBe(figures(analyze(input(131, { b: 0.2 }))));
    expect(figures(memo.analyze('other', input(131)))).toBe(figures(moreData));
  });

  it('reads now when power is planned to an end date', () => {
    const memo = new AnalysisMemo();
    const settings = storedSettings({
      power: {
        minimumDetectableEffect: 0.1,
        plannedUnitsPerVariant: null,
        plannedEndAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
    });
    const at = (now: Date) => ({ ...input(130), settings, startedAt: new Date(Date.now() - 86_400_000), now });
    const first = memo.analyze('e', at(new Date()));
    const later = at(new Date(Date.now() + 3_600_000));
    const second = memo.analyze('e', later);
    expect(second).not.toBe(first);
    expect(figures(second)).toBe(figures(analyze(later)));
  });
});
