/**
 * Special functions the statistics need, written out so every number can be traced to a formula:
 * log-gamma (Lanczos), the regularized incomplete beta (continued fraction, modified Lentz) and
 * gamma (series / continued fraction) functions, and the normal, Student t, chi-square and F
 * distributions built on them. Sources: Press et al., Numerical Recipes 3rd ed. §6.1–6.4, 6.14;
 * Cody's erfc; Acklam's normal quantile with one Halley step. Accuracy ≈ 1e-13 relative against scipy.
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const EPS = 1e-15;
const TINY = 1e-300;
const MAX_ITER = 10_000;

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Continued fraction of the incomplete beta function (Numerical Recipes `betacf`). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  return h;
}

/**
 * I_x(a, b), the regularized incomplete beta function (the Beta(a, b) CDF at x). `lnBeta` may be
 * passed when the caller evaluates the same distribution many times (numerical integration).
 */
export function incompleteBeta(x: number, a: number, b: number, lnBeta = logBeta(a, b)): number {
  if (!(a > 0 && b > 0)) throw new RangeError('incompleteBeta needs a > 0 and b > 0');
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - lnBeta);
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(a, x), the regularized lower incomplete gamma function. */
export function lowerGamma(a: number, x: number): number {
  if (x <= 0) return 0;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** Q(a, x) = 1 − P(a, x), computed directly so small tails keep their precision. */
export function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

function gammaSeries(a: number, x: number): number {
  let ap = a;
  let sum = 1 / a;
  let del = sum;
  for (let n = 0; n < MAX_ITER; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
// as in netlib specfun CALERF: relative error below 1e-14 for erfc down to 1e-300, and fast (the
// chance to be best integrates thousands of normal CDFs).
const CODY_A = [
  3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153,
];
const CODY_B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
const CODY_C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
];
const CODY_D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
];
const CODY_P = [
  0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766, 6.58749161529837803e-4,
  0.0163153871373020978,
];
const CODY_Q = [
  2.56852019228982242, 1.87295284992346725, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185,
];
const INV_SQRT_PI = 0.56418958354775628695;

/** erfc(x), exact in the tails where 1 − erf would cancel. */
export function erfc(x: number): number {
  const y = Math.abs(x);
  let r: number;
  if (y <= 0.46875) {
    const ysq = y * y;
    let num = CODY_A[4]! * ysq;
    let den = ysq;
    for (let i = 0; i < 3; i++) {
      num = (num + CODY_A[i]!) * ysq;
      den = (den + CODY_B[i]!) * ysq;
    }
    return 1 - (x * (num + CODY_A[3]!)) / (den + CODY_B[3]!);
  }
  if (y <= 4) {
    let num = CODY_C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + CODY_C[i]!) * y;
      den = (den + CODY_D[i]!) * y;
    }
    r = (num + CODY_C[7]!) / (den + CODY_D[7]!);
  } else if (y >= 26.7) {
    r = 0;
  } else {
    const ysq = 1 / (y * y);
    let num = CODY_P[5]! * ysq;
    let den = ysq;
    for (let i = 0; i < 4; i++) {
      num = (num + CODY_P[i]!) * ysq;
      den = (den + CODY_Q[i]!) * ysq;
    }
    r = (INV_SQRT_PI - (ysq * (num + CODY_P[4]!)) / (den + CODY_Q[4]!)) / y;
  }
  // exp(−y²) split so the square loses no bits: y = s + (y − s), s a multiple of 1/16.
  const s = Math.trunc(y * 16) / 16;
  r *= Math.exp(-s * s) * Math.exp(-(y - s) * (y + s));
  return x > 0 ? r : 2 - r;
}

export function normalCdf(x: number, mean = 0, sd = 1): number {
  return 0.5 * erfc(-(x - mean) / (sd * Math.SQRT2));
}

export function normalPdf(x: number, mean = 0, sd = 1): number {
  const z = (x - mean) / sd;
  return Math.exp(-0.5 * z * z) / (sd * Math.sqrt(2 * Math.PI));
}

const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const ACKLAM_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
];
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Φ⁻¹(p): Acklam's rational approximation refined by one Halley step to full double precision. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    throw new RangeError('normalQuantile needs 0 ≤ p ≤ 1');
  }
  const [a, b, c, d] = [ACKLAM_A, ACKLAM_B, ACKLAM_C, ACKLAM_D] as const;
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Student t CDF with `df` degrees of freedom (df may be fractional, as Welch's test needs). */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Two-sided tail P(|T| ≥ |t|), computed without the cancellation of 1 − cdf. */
export function studentTTwoSided(t: number, df: number): number {
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/**
 * The t quantile: Newton's method on the CDF from the normal quantile, kept inside a bracket that
 * every step narrows (a step leaving it halves the bracket instead). Welch's test at tens of
 * thousands of degrees of freedom needs a handful of CDF evaluations instead of a bisection's fifty.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('studentTQuantile needs 0 < p < 1');
  if (p === 0.5) return 0;
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  // log of the density's constant Γ((ν+1)/2) / (√(νπ) Γ(ν/2)).
  const logC = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  let x = Math.min(hi, Math.max(lo, normalQuantile(p)));
  for (let i = 0; i < 200; i++) {
    const f = studentTCdf(x, df) - p;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    const density = Math.exp(logC - ((df + 1) / 2) * Math.log1p((x * x) / df));
    let next = x - f / density;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    const step = Math.abs(next - x);
    x = next;
    // Newton converges quadratically: after a step this small the error is below the CDF's own.
    if (step <= 1e-12 * Math.max(1, Math.abs(x)) || hi - lo <= 1e-14 * Math.max(1, Math.abs(lo))) break;
  }
  return x;
}

/** Upper tail of the chi-square distribution with k degrees of freedom. */
export function chiSquareSf(x: number, k: number): number {
  return upperGamma(k / 2, x / 2);
}

/** Upper tail of the F distribution: P(F > f) = I_{d₂/(d₂ + d₁f)}(d₂/2, d₁/2) (A&S 26.6.2). */
export function fDistributionSf(f: number, d1: number, d2: number): number {
  if (!(f > 0)) return 1;
  return incompleteBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

export function betaPdf(x: number, a: number, b: number, lnBeta = logBeta(a, b)): number {
  if (x <= 0 || x >= 1) return (x === 0 && a === 1) || (x === 1 && b === 1) ? Math.exp(-lnBeta) : 0;
  return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lnBeta);
}
