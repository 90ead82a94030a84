#!/usr/bin/env python3
"""Reference values for apps/experiment-tracker/src/stats, computed independently with scipy/numpy.

Run: python3 tools/reference/experiments_reference.py   (scipy >= 1.11; Debian: apt-get install python3-scipy)
Each printed line is `name = value  # how it was computed`; the unit tests paste these values as
constants, with the tolerance stated next to each. Where scipy has no function (expected loss, the
mSPRT, sample size, Holm), the value comes from a closed form evaluated here or from a Monte Carlo
run with 2e7 draws, as said on the line.
"""
import numpy as np
import scipy
from scipy import stats, special, integrate

rng = np.random.default_rng(20251125)
N_MC = 20_000_000


def plain(value):
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def out(name, value, how):
    print(f"{name} = {plain(value)!r}  # {how}")


print(f"# scipy {scipy.__version__}, numpy {np.__version__}")

# --- special functions -------------------------------------------------------------------------
for (x, a, b) in [(0.3, 2.0, 5.0), (0.05, 120.5, 2400.5), (0.9, 0.5, 0.5), (0.5, 1000.0, 1001.0), (0.001, 3.0, 0.7)]:
    out(f"betainc({x}, {a}, {b})", special.betainc(a, b, x), "scipy.special.betainc(a, b, x)")
for z in [-7.5, -1.0, 1.959963984540054, 3.2]:
    out(f"norm.cdf({z})", stats.norm.cdf(z), "scipy.stats.norm.cdf")
for p in [1e-10, 0.025, 0.5, 0.975, 0.999999]:
    out(f"norm.ppf({p})", stats.norm.ppf(p), "scipy.stats.norm.ppf")
for (t, df) in [(2.1, 7.3), (-0.4, 3.0), (12.0, 40.0)]:
    out(f"t.cdf({t}, {df})", stats.t.cdf(t, df), "scipy.stats.t.cdf")
for (p, df) in [(0.975, 12.7), (0.995, 3.0), (0.9, 1000.0)]:
    out(f"t.ppf({p}, {df})", stats.t.ppf(p, df), "scipy.stats.t.ppf")
for (x, k) in [(15.2, 2), (3.1, 1), (40.0, 10), (0.5, 3)]:
    out(f"chi2.sf({x}, {k})", stats.chi2.sf(x, k), "scipy.stats.chi2.sf")

# --- Bayesian conversion: control 100/1000, variant 125/1000, uniform prior -------------------
A = (1 + 100, 1 + 900)
B = (1 + 125, 1 + 875)
C = (1 + 115, 1 + 885)
pts = np.linspace(0.05, 0.2, 31)
p_b_gt_a = integrate.quad(lambda x: stats.beta.pdf(x, *B) * stats.beta.cdf(x, *A), 0, 1, points=pts, limit=500, epsabs=1e-13)[0]
out("P(B>A) beta", p_b_gt_a, "scipy.integrate.quad of beta.pdf(B)*beta.cdf(A)")
a = rng.beta(*A, N_MC)
b = rng.beta(*B, N_MC)
c = rng.beta(*C, N_MC)
out("P(B>A) beta MC", float(np.mean(b > a)), f"numpy Monte Carlo, {N_MC} draws (check only)")
loss_b = float(np.mean(np.maximum(a - b, 0)))
se_b = float(np.std(np.maximum(a - b, 0)) / np.sqrt(N_MC))
out("E[max(A-B,0)] beta MC", loss_b, f"numpy Monte Carlo, {N_MC} draws, standard error {se_b:.2e}")
# Also by a double integral over the joint density (independent of the size-biased closed form).
loss_b_quad = integrate.dblquad(lambda y, x: (x - y) * stats.beta.pdf(x, *A) * stats.beta.pdf(y, *B), 0.03, 0.25, lambda x: 0.03, lambda x: x, epsabs=1e-12)[0]
out("E[max(A-B,0)] beta dblquad", loss_b_quad, "scipy.integrate.dblquad of (a-b)·f_A(a)·f_B(b) over b<a")
loss_a = integrate.dblquad(lambda y, x: (x - y) * stats.beta.pdf(x, *B) * stats.beta.pdf(y, *A), 0.03, 0.25, lambda x: 0.03, lambda x: x, epsabs=1e-12)[0]
out("E[max(B-A,0)] beta dblquad", loss_a, "scipy.integrate.dblquad (risk of keeping control)")

best = []
for k, me in enumerate([A, B, C]):
    others = [d for j, d in enumerate([A, B, C]) if j != k]
    f = lambda x, me=me, others=others: stats.beta.pdf(x, *me) * np.prod([stats.beta.cdf(x, *o) for o in others])
    best.append(integrate.quad(f, 0, 1, points=pts, limit=500, epsabs=1e-13)[0])
out("P(best) beta [A,B,C]", best, "scipy.integrate.quad of pdf_k * prod cdf_j")
wins = np.argmax(np.vstack([a, b, c]), axis=0)
out("P(best) beta [A,B,C] MC", [float(np.mean(wins == k)) for k in range(3)], f"numpy Monte Carlo, {N_MC} draws (check only)")

G = (1 + 80, 1 + 920)
guard = integrate.quad(lambda x: stats.beta.pdf(x, *A) * stats.beta.cdf(0.9 * x, *G), 0, 1, points=pts, limit=500, epsabs=1e-13)[0]
out("P(G < 0.9 A) beta", guard, "scipy.integrate.quad of beta.pdf(A)(x)*beta.cdf(G)(0.9x)")

# --- Normal model, revenue per unit ------------------------------------------------------------
nc, mc, vc = 2000, 520.0, 1500.0 ** 2
nv, mv, vv = 2100, 610.0, 1600.0 ** 2
sc, sv = np.sqrt(vc / nc), np.sqrt(vv / nv)
out("P(V>C) normal", stats.norm.cdf((mv - mc) / np.hypot(sc, sv)), "scipy.stats.norm.cdf of the difference")
xc = rng.normal(mc, sc, N_MC)
xv = rng.normal(mv, sv, N_MC)
out("E[max(C-V,0)] normal MC", float(np.mean(np.maximum(xc - xv, 0))), f"numpy Monte Carlo, {N_MC} draws, se {np.std(np.maximum(xc - xv, 0)) / np.sqrt(N_MC):.2e}")
d = stats.norm(mv - mc, np.hypot(sc, sv))
out("E[max(C-V,0)] normal quad", integrate.quad(lambda t: -t * d.pdf(t), -np.inf, 0)[0], "scipy.integrate.quad of -t·pdf_D(t) over t<0")
xw = rng.normal(500.0, 30.0, N_MC)
out("P(best) normal [C,V,W] MC", [float(np.mean(np.argmax(np.vstack([xc, xv, xw]), axis=0) == k)) for k in range(3)], f"numpy Monte Carlo, {N_MC} draws")
out("P(best) normal [C,V,W] quad", [
    integrate.quad(lambda t: stats.norm.pdf(t, mc, sc) * stats.norm.cdf(t, mv, sv) * stats.norm.cdf(t, 500, 30), 0, 1200, points=[450, 520, 610, 700], limit=500, epsabs=1e-13, epsrel=1e-12)[0],
    integrate.quad(lambda t: stats.norm.pdf(t, mv, sv) * stats.norm.cdf(t, mc, sc) * stats.norm.cdf(t, 500, 30), 0, 1200, points=[450, 520, 610, 700], limit=500, epsabs=1e-13, epsrel=1e-12)[0],
    integrate.quad(lambda t: stats.norm.pdf(t, 500, 30) * stats.norm.cdf(t, mc, sc) * stats.norm.cdf(t, mv, sv), 0, 1200, points=[450, 520, 610, 700], limit=500, epsabs=1e-13, epsrel=1e-12)[0],
], "scipy.integrate.quad of pdf_k * prod cdf_j")

# --- Frequentist ------------------------------------------------------------------------------
table = np.array([[125, 875], [100, 900]])
chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
out("z-test |z|", float(np.sqrt(chi2)), "sqrt of scipy.stats.chi2_contingency(correction=False) statistic (z² = Pearson chi²)")
out("z-test p", float(p), "scipy.stats.chi2_contingency(correction=False) p-value")
pv_, pc_ = 0.125, 0.100
se1 = np.sqrt(pv_ * (1 - pv_) / 1000 + pc_ * (1 - pc_) / 1000)
out("z-test diff CI", [pv_ - pc_ - stats.norm.ppf(0.975) * se1, pv_ - pc_ + stats.norm.ppf(0.975) * se1], "Wald interval, quantile scipy.stats.norm.ppf")
rr = stats.contingency.relative_risk(125, 1000, 100, 1000).confidence_interval(0.95)
out("z-test lift CI", [rr.low - 1, rr.high - 1], "scipy.stats.contingency.relative_risk(...).confidence_interval(0.95) − 1 (Katz log)")

xc_data = np.round(rng.lognormal(5.5, 1.0, 400), 0)
xv_data = np.round(rng.lognormal(5.65, 1.1, 380), 0)
res = stats.ttest_ind(xv_data, xc_data, equal_var=False)
ci = res.confidence_interval(0.95)
out("welch control (n, mean, var)", [len(xc_data), float(np.mean(xc_data)), float(np.var(xc_data, ddof=1))], "numpy, lognormal(5.5, 1.0) sample, seed 20251125")
out("welch variant (n, mean, var)", [len(xv_data), float(np.mean(xv_data)), float(np.var(xv_data, ddof=1))], "numpy, lognormal(5.65, 1.1) sample")
out("welch t, p, df", [float(res.statistic), float(res.pvalue), float(res.df)], "scipy.stats.ttest_ind(equal_var=False)")
out("welch diff CI", [float(ci.low), float(ci.high)], "scipy.stats.ttest_ind(equal_var=False).confidence_interval(0.95)")
m_c, m_v = np.mean(xc_data), np.mean(xv_data)
a_, b_ = np.var(xc_data, ddof=1) / len(xc_data), np.var(xv_data, ddof=1) / len(xv_data)
lift = m_v / m_c - 1
se_l = np.sqrt(b_ / m_c ** 2 + m_v ** 2 * a_ / m_c ** 4)
out("welch lift CI", [float(lift - stats.norm.ppf(0.975) * se_l), float(lift + stats.norm.ppf(0.975) * se_l)], "delta method formula, quantile scipy.stats.norm.ppf")

# --- SRM ---------------------------------------------------------------------------------------
r = stats.chisquare([5000, 5210], f_exp=[5105, 5105])
out("srm 2 (chi2, p)", [float(r.statistic), float(r.pvalue)], "scipy.stats.chisquare([5000,5210], f_exp=[5105,5105])")
r = stats.chisquare([10000, 5000, 5300], f_exp=[10150, 5075, 5075])
out("srm 3 (chi2, p)", [float(r.statistic), float(r.pvalue)], "scipy.stats.chisquare([10000,5000,5300], f_exp=50/25/25 split)")

# --- mSPRT (closed form, Johari et al. 2022 eq. 11) ------------------------------------------------
theta, V, tau2 = 0.025, pc_ * (1 - pc_) / 1000 + pv_ * (1 - pv_) / 1000, 0.01 * 0.1125 * 0.8875
lam = np.sqrt(V / (V + tau2)) * np.exp(tau2 * theta ** 2 / (2 * V * (V + tau2)))
out("msprt p", float(min(1.0, 1 / lam)), "closed form evaluated with numpy (no scipy function)")

# --- Sample size (Fleiss formula with scipy quantiles) ----------------------------------------
def n_prop(p1, mde, alpha=0.05, power=0.8):
    p2 = p1 * (1 + mde)
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p1 + p2) / 2
    return int(np.ceil((za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2))
out("n prop(0.10, 0.10)", n_prop(0.10, 0.10), "Fleiss formula, quantiles scipy.stats.norm.ppf")
out("n prop(0.03, 0.20, 0.01, 0.9)", n_prop(0.03, 0.20, 0.01, 0.9), "Fleiss formula, quantiles scipy.stats.norm.ppf")
z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
out("n means(sd=1500, delta=100)", int(np.ceil(2 * z * z * 1500 ** 2 / 100 ** 2)), "2(z_a+z_b)²σ²/δ², quantiles scipy.stats.norm.ppf")
# Power check of that formula: scipy's noncentral t gives the power actually reached at that n.
n = int(np.ceil(2 * z * z * 1500 ** 2 / 100 ** 2))
ncp = 100 / (1500 * np.sqrt(2 / n))
crit = stats.t.ppf(0.975, 2 * n - 2)
out("power at n means", float(stats.nct.sf(crit, 2 * n - 2, ncp) + stats.nct.cdf(-crit, 2 * n - 2, ncp)), "scipy.stats.nct (check only)")

# --- Holm ----------------------------------------------------------------------------------------
pvals = [0.01, 0.04, 0.03, 0.005]
order = np.argsort(pvals)
adj = [0.0] * len(pvals)
run = 0.0
for rank, i in enumerate(order):
    run = max(run, min(1.0, (len(pvals) - rank) * pvals[i]))
    adj[i] = run
out("holm [0.01,0.04,0.03,0.005]", adj, "Holm step-down written out here (statsmodels multipletests(method='holm') gives the same)")


# =================================================================================================
# Issue 20: CUPED, post-stratification, capping, ratio metrics, Benjamini-Hochberg, priors,
# confidence sequences, top-two Thompson sampling, mid-experiment power, health checks.
# The data are generated by the Park-Miller generator below, written out identically in
# apps/experiment-tracker/src/stats/reference-sample.ts (integer arithmetic only, so both languages
# produce the same units bit for bit); everything here is computed from the raw per-unit arrays with
# numpy/scipy, independently of the tracker's sufficient statistics.
# =================================================================================================
print("\n# --- issue 20 ---")


class ParkMiller:
    """Minimal standard generator (Park & Miller 1988): x <- 48271 x mod (2^31 - 1)."""

    def __init__(self, seed):
        self.x = seed % 2147483647 or 1

    def __call__(self):
        self.x = self.x * 48271 % 2147483647
        return self.x


def reference_sample(seed=20):
    """Units of three arms: (arm, y, pre, cov, stratum, orders). y correlates with pre and cov; 1% outliers."""
    g = ParkMiller(seed)
    units = []
    for arm, n, effect in [("control", 400, 0), ("b", 380, 150), ("c", 390, 40)]:
        for _ in range(n):
            pre = g() % 5000
            cov = g() % 100
            stratum = g() % 3
            noise = g() % 4000
            y = (pre * 3) // 5 + cov * 7 + stratum * 300 + noise + effect
            if g() % 100 == 0:
                y += 100000
            orders = g() % 4
            units.append((arm, y, pre, cov, stratum, orders))
    return units


U = reference_sample()
ARMS = ["control", "b", "c"]
col = lambda arm, k: np.array([u[k] for u in U if u[0] == arm], dtype=float)
Y = {a: col(a, 1) for a in ARMS}
PRE = {a: col(a, 2) for a in ARMS}
COV = {a: col(a, 3) for a in ARMS}
STR = {a: col(a, 4) for a in ARMS}
ORD = {a: col(a, 5) for a in ARMS}
allY, allP, allC = (np.concatenate([d[a] for a in ARMS]) for d in (Y, PRE, COV))
out("sample first units", [list(u) for u in U[:2]], "reference_sample(20): Park-Miller, checks the generators agree")
out("sample sums (y, pre, cov, stratum, orders)", [int(sum(u[k] for u in U)) for k in range(1, 6)], "python integer sums")

# Moments: means and population co-moments (sums of centred products) of [y, pre, cov] per arm.
for a in ARMS:
    m = np.vstack([Y[a], PRE[a], COV[a]])
    out(f"moments {a} mean", list(m.mean(axis=1)), "numpy mean")
    out(f"moments {a} M2", (np.cov(m, ddof=0) * m.shape[1]).tolist(), "numpy.cov(ddof=0) * n")

# CUPED: theta by least squares on the pooled, centred data (one covariate, then two).
Xp = np.column_stack([allP - allP.mean(), allC - allC.mean()])
theta2 = np.linalg.lstsq(Xp, allY - allY.mean(), rcond=None)[0]
theta1 = np.cov(allY, allP, ddof=1)[0, 1] / np.var(allP, ddof=1)
out("cuped theta (pre)", float(theta1), "numpy cov(Y, X) / var(X), pooled")
out("cuped theta (pre, cov)", list(theta2), "numpy.linalg.lstsq on the pooled centred data")
adj = {a: Y[a] - theta2[0] * (PRE[a] - allP.mean()) - theta2[1] * (COV[a] - allC.mean()) for a in ARMS}
for a in ARMS:
    out(f"cuped {a} (mean, var)", [float(adj[a].mean()), float(np.var(adj[a], ddof=1))], "numpy on Y - theta.(X - mean X)")
plain_v = sum(np.var(Y[a], ddof=1) / len(Y[a]) for a in ARMS)
cuped_v = sum(np.var(adj[a], ddof=1) / len(adj[a]) for a in ARMS)
out("cuped variance reduction", float(1 - cuped_v / plain_v), "1 - sum Var(adjusted mean) / sum Var(plain mean)")
r = stats.ttest_ind(adj["b"], adj["control"], equal_var=False)
out("cuped welch b (t, p, df)", [float(r.statistic), float(r.pvalue), float(r.df)], "scipy.stats.ttest_ind(equal_var=False) on the adjusted values")
ci = r.confidence_interval(0.95)
out("cuped welch b diff CI", [float(ci.low), float(ci.high)], "scipy ttest_ind(...).confidence_interval(0.95)")

# Post-stratification of the adjusted values on the stratum (weights: pooled stratum shares).
N = len(U)
wts = [sum(1 for u in U if u[4] == s) / N for s in range(3)]
out("strata weights", wts, "pooled stratum shares")
for a in ARMS:
    cells = [adj[a][STR[a] == s] for s in range(3)]
    m = sum(w * c.mean() for w, c in zip(wts, cells))
    v = sum(w * w * np.var(c, ddof=1) / len(c) for w, c in zip(wts, cells))
    out(f"post-stratified {a} (mean, var of mean)", [float(m), float(v)], "sum w_s mean_s, sum w_s^2 s_s^2 / n_s (numpy)")

# Ratio metric y / orders with the delta method; a bootstrap as an independent check of the variance.
for a in ARMS:
    n, d = Y[a], ORD[a]
    mn, md = n.mean(), d.mean()
    c = np.cov(n, d, ddof=1)
    var_r = (c[0, 0] / md ** 2 - 2 * mn * c[0, 1] / md ** 3 + mn ** 2 * c[1, 1] / md ** 4) / len(n)
    out(f"ratio {a} (R, Var R)", [float(mn / md), float(var_r)], "delta method, numpy cov(ddof=1)")
boot_rng = np.random.default_rng(7)
n, d = Y["control"], ORD["control"]
idx = boot_rng.integers(0, len(n), size=(20000, len(n)))
boot = n[idx].sum(axis=1) / d[idx].sum(axis=1)
out("ratio control bootstrap var (check only)", float(np.var(boot, ddof=1)), "20,000 bootstrap resamples (numpy)")

# Covariate balance: one-way ANOVA of pre across arms (and with a shifted arm, which must flag).
r = stats.f_oneway(PRE["control"], PRE["b"], PRE["c"])
out("balance pre (F, p)", [float(r.statistic), float(r.pvalue)], "scipy.stats.f_oneway")
r = stats.f_oneway(PRE["control"], PRE["b"] + 600, PRE["c"])
out("balance pre shifted b+600 (F, p)", [float(r.statistic), float(r.pvalue)], "scipy.stats.f_oneway")
for (f, d1, d2) in [(3.2, 2, 1167), (0.7, 4, 20), (12.5, 1, 50)]:
    out(f"f.sf({f}, {d1}, {d2})", stats.f.sf(f, d1, d2), "scipy.stats.f.sf")

# Benjamini-Hochberg.
pv = [0.01, 0.04, 0.03, 0.005, 0.2, 0.041]
out(f"bh {pv}", list(stats.false_discovery_control(pv, method="bh")), "scipy.stats.false_discovery_control(method='bh')")

# Lift posterior with a proper prior (GrowthBook-style) and without.
est, var, pm, pvar = 0.08, 0.03 ** 2, 0.0, 0.05 ** 2
prec = 1 / var + 1 / pvar
post_m, post_s = (est / var + pm / pvar) / prec, np.sqrt(1 / prec)
out("lift posterior N(0,0.05^2) (mean, sd)", [float(post_m), float(post_s)], "precision-weighted normal update (numpy)")
out("lift posterior chance", float(stats.norm.cdf(post_m / post_s)), "scipy.stats.norm.cdf")
out("lift posterior risk", integrate.quad(lambda t: -t * stats.norm.pdf(t, post_m, post_s), -1, 0, epsabs=1e-14)[0], "scipy.integrate.quad of E[max(-lift,0)]")
out("lift posterior risk of control", integrate.quad(lambda t: t * stats.norm.pdf(t, post_m, post_s), 0, 1, epsabs=1e-14)[0], "scipy.integrate.quad of E[max(lift,0)]")
out("lift flat (chance, risk)", [float(stats.norm.cdf(est / np.sqrt(var))), integrate.quad(lambda t: -t * stats.norm.pdf(t, est, np.sqrt(var)), -1, 0, epsabs=1e-14)[0]], "scipy norm.cdf, quad")


# Asymptotic confidence sequence (Waudby-Smith et al. 2021, as gbstats computes it).
def cs_rho(alpha, tuning):
    return np.sqrt((-2 * np.log(alpha) + np.log(-2 * np.log(alpha) + 1)) / tuning)


def cs_halfwidth(var_est, n, alpha, tuning):
    rho = cs_rho(alpha, tuning)
    s2 = var_est * n
    return np.sqrt(s2) * np.sqrt(2 * (n * rho ** 2 + 1) * np.log(np.sqrt(n * rho ** 2 + 1) / alpha) / (n * rho) ** 2)


def cs_p(est, var_est, n, alpha, tuning):
    rho = cs_rho(alpha, tuning)
    st2 = est ** 2 * n / var_est
    tr = n * rho ** 2 + 1
    return min(1.0, 1 / (np.exp(rho ** 2 * st2 / (2 * tr)) / np.sqrt(tr)))


out("cs rho(0.05, 5000)", float(cs_rho(0.05, 5000)), "closed form (arXiv:2103.06476v7 §B.2, gbstats sequential_rho)")
for (v, n) in [(4.0, 1000), (0.25, 20000), (1e-4, 800)]:
    out(f"cs halfwidth(var={v}, n={n})", float(cs_halfwidth(v, n, 0.05, 5000)), "closed form, eq. (9)")
out("cs p(est=0.3, var=0.01, n=2000)", float(cs_p(0.3, 0.01, 2000, 0.05, 5000)), "closed form, eq. (155)")
# The sequence found by bisection on alpha: the p-value is where the interval just reaches 0 (rho fixed).
rho = cs_rho(0.05, 5000)
f = lambda a: np.sqrt(0.01 * 2000) * np.sqrt(2 * (2000 * rho ** 2 + 1) * np.log(np.sqrt(2000 * rho ** 2 + 1) / a) / (2000 * rho) ** 2) - 0.3
from scipy import optimize
out("cs p by root of halfwidth = |est| (check)", float(optimize.brentq(f, 1e-12, 0.9999)), "scipy.optimize.brentq (check only)")
# Coverage by simulation: 2000 A/A sequences of normal data looked at every 50 units up to 5000 per arm.
sim = np.random.default_rng(11)
misses = 0
for _ in range(2000):
    a = sim.normal(0, 1, 5000)
    b = sim.normal(0, 1, 5000)
    for n in range(50, 5001, 50):
        d = b[:n].mean() - a[:n].mean()
        v = a[:n].var(ddof=1) / n + b[:n].var(ddof=1) / n
        if abs(d) > cs_halfwidth(v, 2 * n, 0.05, 5000):
            misses += 1
            break
out("cs A/A ever excludes 0 (share, 2000 runs)", misses / 2000, "numpy simulation, looks every 50 units (check only)")


# Mid-experiment power (gbstats/power/midexperimentpower.py).
def mid_power(var, n, k, delta, alpha, tests=1, tuning=None, prior=None):
    z = stats.norm.ppf(1 - alpha / (2 * tests))
    v = var / (1 + k)
    sd = np.sqrt(v)
    if prior is not None:
        prec = 1 / prior[1] + 1 / v
        a = v * np.sqrt(prec) * z
        b = v * prior[0] / prior[1]
        return 1 - stats.norm.cdf((a - b - delta) / sd) + stats.norm.cdf(-(a + b + delta) / sd)
    h = cs_halfwidth(var / (1 + k), n * (1 + k), alpha / tests, tuning) if tuning else z * sd
    return 1 - stats.norm.cdf((h - delta) / sd) + stats.norm.cdf(-(h + delta) / sd)


out("power fixed (var=0.0025, k=3, mde=0.05)", float(mid_power(0.0025, 1000, 3, 0.05, 0.05)), "closed form with scipy.stats.norm")
out("power fixed, 6 tests", float(mid_power(0.0025, 1000, 3, 0.05, 0.05, tests=6)), "closed form, alpha / 6")
out("power sequential (n*=5000)", float(mid_power(0.0025, 1000, 3, 0.05, 0.05, tuning=5000)), "closed form with the CS half-width")
out("power prior N(0, 0.1^2)", float(mid_power(0.0025, 1000, 3, 0.05, 0.05, prior=(0.0, 0.01))), "closed form (gbstats, proper prior)")
est_draws = sim.normal(0.05, np.sqrt(0.0025 / 4), 4_000_000)
out("power fixed by simulation (check)", float(np.mean(np.abs(est_draws) / np.sqrt(0.0025 / 4) > stats.norm.ppf(0.975))), "numpy, 4e6 draws of the final estimate")

# Top-two Thompson sampling: exact weights from the chances to be best, and a simulation of the rule.
TA, TB, TC = (1 + 100, 1 + 900), (1 + 125, 1 + 875), (1 + 115, 1 + 885)
alpha_best = best  # P(best) of A, B, C from the quad above
beta_tt = 0.5
psi = [alpha_best[i] * (beta_tt + (1 - beta_tt) * sum(alpha_best[j] / (1 - alpha_best[j]) for j in range(3) if j != i)) for i in range(3)]
out("ttts weights beta=0.5", psi, "psi_i = a_i (b + (1-b) sum_j a_j/(1-a_j)), a from the quad above")
out("ttts weights floor 0.1", [0.1 + 0.7 * p for p in psi], "m + (1 - k m) psi")
draws = 2_000_000
first = np.argmax(np.vstack([rng.beta(*TA, draws), rng.beta(*TB, draws), rng.beta(*TC, draws)]), axis=0)
second = first.copy()
pending = np.ones(draws, dtype=bool)
for _ in range(200):
    if not pending.any():
        break
    m = int(pending.sum())
    again = np.argmax(np.vstack([rng.beta(*TA, m), rng.beta(*TB, m), rng.beta(*TC, m)]), axis=0)
    idx = np.where(pending)[0]
    ok = again != first[idx]
    second[idx[ok]] = again[ok]
    pending[idx[ok]] = False
coin = rng.random(draws) < beta_tt
chosen = np.where(coin, first, second)
out("ttts weights by simulating the rule (check)", [float(np.mean(chosen == k)) for k in range(3)], f"numpy, {draws} units, redraw until the top differs")

# SRM over periods of different weights (a bandit).
obs = [700, 520, 280]
periods = [(600, [1 / 3, 1 / 3, 1 / 3]), (900, [0.5, 0.3, 0.2])]
exp_counts = [sum(n * w[i] for n, w in periods) for i in range(3)]
r = stats.chisquare(obs, f_exp=exp_counts)
out("srm periods (expected, chi2, p)", [exp_counts, float(r.statistic), float(r.pvalue)], "scipy.stats.chisquare with the per-period expectation")

# Sample size with the CUPED variance reduction.
def n_prop_r(p1, mde, r, alpha=0.05, power=0.8):
    p2 = p1 * (1 + mde)
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p1 + p2) / 2
    return int(np.ceil((za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2 * (1 - r)))
out("n prop(0.10, 0.10, r=0.3)", n_prop_r(0.10, 0.10, 0.3), "Fleiss formula x (1 - r), scipy quantiles")
out("n means(1500, 100, r=0.45)", int(np.ceil(2 * z * z * 1500 ** 2 * (1 - 0.45) / 100 ** 2)), "2(z_a+z_b)^2 s^2 (1 - r) / d^2")


# --- The end-to-end experiment of e2e/experiment-statistics.e2e.spec.ts ---------------------------
# Four arms of 250 units (the data: revenueExperimentSample in reference-sample.ts, identical), a
# revenue primary metric capped at its 99th percentile, CUPED on the ledger's pre-period revenue (in
# the 30 days before exposure, capped the same way) and the exposure's covariate, post-stratified on
# two strata; a ratio metric (revenue per order, prior N(0, 0.2²) on the lift) and a mean metric
# (items); Holm across the three treatments and the three goal metrics; power for a 10% lift at
# 1,000 units per arm. Everything from the per-unit arrays.
print("\n# --- e2e experiment (e2e/experiment-statistics.e2e.spec.ts) ---")


def revenue_experiment_sample(seed=2026, per_arm=250):
    g = ParkMiller(seed)
    units = []
    for arm, effect in [("control", 0), ("b", 600), ("c", 150), ("d", 0)]:
        for i in range(per_arm):
            r = [g() for _ in range(12)]
            conv = r[6] % 3 != 0
            second = conv and r[10] % 5 == 0
            value = (((100 + r[0] % 5000) if r[1] % 3 != 0 else 0) * 4) // 5 + (r[4] % 50) * 20 + r[7] % 1500 + effect
            if r[8] % 200 == 0:
                value += 250000
            units.append(dict(
                arm=arm, unit=f"{arm}-{i}",
                pre=(100 + r[0] % 5000) if r[1] % 3 != 0 else 0, pre_days=1 + r[2] % 20, old=7777 if r[3] % 10 == 0 else 0,
                cov=r[4] % 50, stratum="web" if r[5] % 2 == 0 else "app",
                converted=conv, value=value if conv else 0, items=(1 + r[9] % 4) if conv else 0, second=second,
                ledger=1500 if r[11] % 10 == 0 else 0,
            ))
    return units


E = revenue_experiment_sample()
EARMS = ["control", "b", "c", "d"]
out("e2e sample sums (pre, old, cov, value, items, ledger, converted, second)",
    [sum(u[k] for u in E) for k in ["pre", "old", "cov", "value", "items", "ledger"]] + [sum(u["converted"] for u in E), sum(u["second"] for u in E)],
    "python integer sums (checks the generators agree)")
rev = np.array([u["value"] + (500 if u["second"] else 0) + u["ledger"] for u in E], dtype=float)
orders = np.array([int(u["converted"]) + int(u["second"]) for u in E], dtype=float)
items = np.array([u["items"] + (1 if u["second"] else 0) for u in E], dtype=float)
conv = np.array([1.0 if u["converted"] else 0.0 for u in E])
pre = np.array([u["pre"] for u in E], dtype=float)
cov = np.array([u["cov"] for u in E], dtype=float)
arm_of = np.array([u["arm"] for u in E])
stratum_of = np.array([u["stratum"] for u in E])
cap = np.percentile(rev, 99)
pre_cap = np.percentile(pre, 99)
out("e2e caps (revenue, pre-period revenue)", [float(cap), float(pre_cap)], "numpy.percentile(99, linear) = Postgres percentile_cont(0.99)")
X = np.column_stack([np.minimum(pre, pre_cap), cov])
strata = ["app", "web"]
W = {s: float(np.mean(stratum_of == s)) for s in strata}


def cuped_stratified(y):
    theta = np.linalg.lstsq(X - X.mean(axis=0), y - y.mean(), rcond=None)[0]
    a = y - (X - X.mean(axis=0)) @ theta
    res = {}
    for arm in EARMS:
        k = arm_of == arm
        m = sum(W[s] * a[k & (stratum_of == s)].mean() for s in strata)
        v = sum(W[s] ** 2 * np.var(a[k & (stratum_of == s)], ddof=1) / np.sum(k & (stratum_of == s)) for s in strata)
        res[arm] = dict(n=int(k.sum()), mean=float(m), var=float(v), plain_mean=float(y[k].mean()), plain_var=float(np.var(y[k], ddof=1) / k.sum()),
                        cuped_var=float(np.var(a[k], ddof=1) / k.sum()))
    plain = sum(r["plain_var"] for r in res.values())
    return dict(theta=[float(t) for t in theta], arms=res,
                cuped_reduction=float(1 - sum(r["cuped_var"] for r in res.values()) / plain),
                reduction=float(1 - sum(r["var"] for r in res.values()) / plain))


def ratio_arms(num, den):
    res = {}
    for arm in EARMS:
        k = arm_of == arm
        n, d = num[k], den[k]
        c = np.cov(n, d, ddof=1)
        mn, md = n.mean(), d.mean()
        v = (c[0, 0] / md ** 2 - 2 * mn * c[0, 1] / md ** 3 + mn ** 2 * c[1, 1] / md ** 4) / len(n)
        res[arm] = dict(n=int(k.sum()), mean=float(mn / md), var=float(v))
    return dict(arms=res)


def welch_from(c, t):
    a, b = c["var"], t["var"]
    diff = t["mean"] - c["mean"]
    se = np.sqrt(a + b)
    df = (a + b) ** 2 / (a ** 2 / (c["n"] - 1) + b ** 2 / (t["n"] - 1))
    tt = diff / se
    q = stats.t.ppf(0.975, df)
    lift = t["mean"] / c["mean"] - 1
    var_lift = b / c["mean"] ** 2 + t["mean"] ** 2 * a / c["mean"] ** 4
    z = stats.norm.ppf(0.975)
    N = c["n"] + t["n"]
    h, hl = cs_halfwidth(a + b, N, 0.05, 5000), cs_halfwidth(var_lift, N, 0.05, 5000)
    return dict(t=float(tt), df=float(df), p=float(2 * stats.t.sf(abs(tt), df)), diff=float(diff), diff_ci=[float(diff - q * se), float(diff + q * se)],
                lift=float(lift), lift_ci=[float(lift - z * np.sqrt(var_lift)), float(lift + z * np.sqrt(var_lift))], var_lift=float(var_lift),
                cs_diff=[float(diff - h), float(diff + h)], cs_lift=[float(lift - hl), float(lift + hl)], cs_p=float(cs_p(diff, a + b, N, 0.05, 5000)), N=N)


def holm(ps):
    order = np.argsort(ps, kind="stable")
    adj, run_ = [0.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        run_ = max(run_, min(1.0, (len(ps) - rank) * ps[i]))
        adj[i] = run_
    return adj


R = {
    "revenue_per_unit": cuped_stratified(np.minimum(rev, cap)),
    "revenue_per_order": ratio_arms(rev, orders),
    "items": cuped_stratified(items),
    "conversion": cuped_stratified(conv),
}
for key, r in R.items():
    if "theta" in r:
        out(f"e2e {key} theta, cuped reduction, total reduction", [r["theta"], r["cuped_reduction"], r["reduction"]], "numpy lstsq; variances of the arms' means")
    out(f"e2e {key} arms (mean, var of mean)", [[r["arms"][a]["mean"], r["arms"][a]["var"]] for a in EARMS], "CUPED + post-stratified (numpy) / delta method for the ratio")
    if "theta" in r:
        out(f"e2e {key} arms plain mean", [r["arms"][a]["plain_mean"] for a in EARMS], "numpy mean of the capped values")
    r["tests"] = {a: welch_from(r["arms"]["control"], r["arms"][a]) for a in EARMS[1:]}
family = [(k, a) for k in ["revenue_per_unit", "revenue_per_order", "items"] for a in EARMS[1:]]
adj_p = holm([R[k]["tests"][a]["p"] for k, a in family])
adj_cs = holm([R[k]["tests"][a]["cs_p"] for k, a in family])
for (k, a), p1, p2 in zip(family, adj_p, adj_cs):
    t = R[k]["tests"][a]
    out(f"e2e {k} {a} (t, df, p, holm p, cs p, holm cs p)", [t["t"], t["df"], t["p"], p1, t["cs_p"], p2], "Welch-Satterthwaite with scipy.stats.t; eq. 155; Holm over 9")
    out(f"e2e {k} {a} (diff CI, lift, lift CI, CS diff, CS lift)", [t["diff_ci"], t["lift"], t["lift_ci"], t["cs_diff"], t["cs_lift"]], "scipy.stats.t.ppf / norm.ppf; CS eq. 9")
    out(f"e2e {k} {a} power (fixed, sequential) at 2x1000 units, 9 tests", [
        float(mid_power(t["var_lift"], t["N"], 2000 / t["N"] - 1, 0.1, 0.05, tests=9, prior=(0.0, 0.04) if k == "revenue_per_order" else None)),
        float(mid_power(t["var_lift"], t["N"], 2000 / t["N"] - 1, 0.1, 0.05, tests=9, tuning=5000))], "gbstats mid-experiment power (scipy.stats.norm)")
conv_adj = holm([R["conversion"]["tests"][a]["p"] for a in EARMS[1:]])
out("e2e conversion holm p (b, c, d) among themselves", conv_adj, "Holm over the three treatments")
for a in EARMS[1:]:
    t = R["revenue_per_order"]["tests"][a]
    prec = 1 / t["var_lift"] + 1 / 0.04
    pm_, ps_ = (t["lift"] / t["var_lift"]) / prec, np.sqrt(1 / prec)
    out(f"e2e revenue_per_order {a} lift posterior (mean, sd, chance)", [float(pm_), float(ps_), float(stats.norm.cdf(pm_ / ps_))], "normal update with the prior N(0, 0.04)")
post = [(R["revenue_per_unit"]["arms"][a]["mean"], np.sqrt(R["revenue_per_unit"]["arms"][a]["var"])) for a in EARMS]
lo_, hi_ = min(m - 12 * s for m, s in post), max(m + 12 * s for m, s in post)
best_e = [integrate.quad(lambda x, k=k: stats.norm.pdf(x, *post[k]) * np.prod([stats.norm.cdf(x, *post[j]) for j in range(4) if j != k]), lo_, hi_,
                         points=[m for m, _ in post], limit=500, epsabs=1e-13, epsrel=1e-12)[0] for k in range(4)]
out("e2e revenue_per_unit chance to be best", best_e, "scipy.integrate.quad of pdf_k * prod cdf_j over the normal posteriors")
for name, values in [("pre_revenue", X[:, 0]), ("exposure_covariate", X[:, 1])]:
    r = stats.f_oneway(*[values[arm_of == a] for a in EARMS])
    out(f"e2e balance {name} (F, p)", [float(r.statistic), float(r.pvalue)], "scipy.stats.f_oneway over the four arms")
