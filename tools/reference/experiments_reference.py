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
