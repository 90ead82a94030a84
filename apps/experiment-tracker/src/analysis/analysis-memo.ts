import { type Analysis, type AnalysisInput, analyze } from './analyze';

/** Experiments whose last analysis is kept. */
const KEPT = 256;

/**
 * The last analysis of each experiment with its input: `analyze` is a pure function of its input,
 * so an input equal in every field (the loaded statistics, settings, rule, guardrails, stored
 * always-valid p-values, weights, start) gives the same analysis, returned without recomputing it.
 * `now` takes part only when power is planned to an end date (the only statistic that reads it).
 * Callers read the analysis and never change it.
 */
export class AnalysisMemo {
  private readonly last = new Map<string, { key: string; analysis: Analysis }>();

  analyze(experimentId: string, input: AnalysisInput): Analysis {
    const key = keyOf(input);
    const hit = this.last.get(experimentId);
    this.last.delete(experimentId);
    if (hit?.key === key) {
      this.last.set(experimentId, hit);
      return hit.analysis;
    }
    const analysis = analyze(input);
    this.last.set(experimentId, { key, analysis });
    if (this.last.size > KEPT) this.last.delete(this.last.keys().next().value!);
    return analysis;
  }
}

function keyOf(input: AnalysisInput): string {
  const { now, ...rest } = input;
  const keyed = input.settings.power?.plannedEndAt ? { ...rest, now } : rest;
  // Non-finite numbers spelled out (JSON would write them all as null).
  return JSON.stringify(keyed, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}
