import { erfc, normalQuantile, studentTQuantile, studentTTwoSided } from './special';

export interface Proportion {
  conversions: number;
  units: number;
}

export interface MeanSummary {
  units: number;
  mean: number;
  /** Sample variance (n − 1 denominator). */
  variance: number;
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface TestResult {
  /** Test statistic (z or t). */
  statistic: number;
  pValue: number;
  /** Variant minus control, in the metric's units. */
  difference: number;
  differenceInterval: Interval;
  /** Relative lift variant / control − 1, null when the control's value is 0. */
  lift: number | null;
  liftInterval: Interval | null;
  degreesOfFreedom?: number;
}

/**
 * Two-proportion z-test (two-sided; pooled standard error under H₀), with a Wald interval for the
 * difference (unpooled standard error) and the Katz log interval for the relative lift
 * (Katz et al. 1978; what scipy.stats.contingency.relative_risk reports). Agresti, Categorical
 * Data Analysis, §3.1.
 */
export function twoProportionZTest(control: Proportion, variant: Proportion, alpha = 0.05): TestResult {
  const pc = control.conversions / control.units;
  const pv = variant.conversions / variant.units;
  const pooled = (control.conversions + variant.conversions) / (control.units + variant.units);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / control.units + 1 / variant.units));
  const difference = pv - pc;
  const z = se0 > 0 ? difference / se0 : 0;
  const q = normalQuantile(1 - alpha / 2);
  const se1 = Math.sqrt((pc * (1 - pc)) / control.units + (pv * (1 - pv)) / variant.units);
  let lift: number | null = null;
  let liftInterval: Interval | null = null;
  if (control.conversions > 0 && variant.conversions > 0) {
    lift = pv / pc - 1;
    const seLog = Math.sqrt((1 - pc) / control.conversions + (1 - pv) / variant.conversions);
    const logRatio = Math.log(pv / pc);
    liftInterval = { lower: Math.exp(logRatio - q * seLog) - 1, upper: Math.exp(logRatio + q * seLog) - 1 };
  }
  return {
    statistic: z,
    pValue: erfc(Math.abs(z) / Math.SQRT2),
    difference,
    differenceInterval: { lower: difference - q * se1, upper: difference + q * se1 },
    lift,
    liftInterval,
  };
}

/**
 * Welch's unequal-variance t-test (two-sided) with Welch–Satterthwaite degrees of freedom, a t
 * interval for the difference of means (as scipy.stats.ttest_ind(equal_var=False) reports) and a
 * delta-method interval for the relative lift: Var(m_v/m_c) ≈ s_v²/(n_v m_c²) + m_v² s_c²/(n_c m_c⁴).
 * Welch, Biometrika 34 (1947).
 */
export function welchTTest(control: MeanSummary, variant: MeanSummary, alpha = 0.05): TestResult {
  const a = control.variance / control.units;
  const b = variant.variance / variant.units;
  const se = Math.sqrt(a + b);
  const difference = variant.mean - control.mean;
  const df =
    se > 0
      ? (a + b) ** 2 / ((a * a) / (control.units - 1) + (b * b) / (variant.units - 1))
      : control.units + variant.units - 2;
  const t = se > 0 ? difference / se : 0;
  const q = studentTQuantile(1 - alpha / 2, df);
  let lift: number | null = null;
  let liftInterval: Interval | null = null;
  if (control.mean !== 0) {
    lift = variant.mean / control.mean - 1;
    const seLift = Math.sqrt(b / control.mean ** 2 + (variant.mean ** 2 * a) / control.mean ** 4);
    const z = normalQuantile(1 - alpha / 2);
    liftInterval = { lower: lift - z * seLift, upper: lift + z * seLift };
  }
  return {
    statistic: t,
    pValue: se > 0 ? studentTTwoSided(t, df) : 1,
    difference,
    differenceInterval: { lower: difference - q * se, upper: difference + q * se },
    lift,
    liftInterval,
    degreesOfFreedom: df,
  };
}
