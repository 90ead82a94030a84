import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ExperimentResultsV1, ExperimentV1 } from '@juggernaut/contracts';
import { apiClient, connectTestNats, eventually, TestStack } from '@juggernaut/testing';
import { revenueExperimentSample } from '../apps/experiment-tracker/src/stats/reference-sample';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';

const ADMIN = 'experiment-statistics-admin-key-0123456789';

/**
 * Issue 20's "done when", through REST with governance-api, the ledger and the tracker in one
 * process: a revenue experiment with four arms, pre-period revenue in the ledger (some of it older
 * than the lookback), outliers, a covariate and a stratum on each exposure, a ratio and a mean
 * metric. Its results show capped, CUPED-adjusted, post-stratified lifts with confidence sequences,
 * Holm-adjusted across three treatments and three metrics, and their power; every figure is checked
 * against tools/reference/experiments_reference.py, which computes them with numpy and scipy from
 * the same units (revenue_experiment_sample: the generator is written out in both languages).
 *
 * Tolerances: 1e-9 relative for estimates, variances, statistics and intervals; 1e-8 relative for
 * p-values and power (they pass through a t or normal tail); 1e-8 absolute for the chance to be best
 * (numerical integration). The tracker sums in Postgres (float8, Youngs–Cramer) and merges groups;
 * the script works on the raw arrays.
 */
type Pair = [number, number];
/** The reference figures, by the label the script prints (a metric, an arm, then what the figures are). */
interface Reference {
  'sample sums (pre, old, cov, value, items, ledger, converted, second)': number[];
  'caps (revenue, pre-period revenue)': Pair;
  'conversion holm p (b, c, d) among themselves': number[];
  [label: `${string} theta, cuped reduction, total reduction`]: [
    theta: Pair,
    cupedReduction: number,
    reduction: number,
  ];
  [label: `${string} arms (mean, var of mean)`]: Pair[];
  [label: `${string} arms plain mean`]: number[];
  [label: `${string} (t, df, p, holm p, cs p, holm cs p)`]: number[];
  [label: `${string} (diff CI, lift, lift CI, CS diff, CS lift)`]: [Pair, number, Pair, Pair, Pair];
  [label: `${string} power (fixed, sequential) at 2x1000 units, 9 tests`]: Pair;
  [label: `${string} lift posterior (mean, sd, chance)`]: [mean: number, sd: number, chance: number];
  [label: `${string} chance to be best`]: number[];
  [label: `balance ${string} (F, p)`]: Pair;
}

// Printed by `python3 tools/reference/experiments_reference.py` (scipy 1.17.1, numpy 2.4.6), the
// "e2e …" lines, pasted verbatim.
const REF: Reference = {
  'sample sums (pre, old, cov, value, items, ledger, converted, second)': [
    1689269, 754369, 25239, 3657610, 1697, 142500, 682, 130,
  ],
  'caps (revenue, pre-period revenue)': [7183.459999999999, 4987.25],
  'revenue_per_unit theta, cuped reduction, total reduction': [
    [0.5560163896379009, 5.389540288240381],
    0.2500691980687587,
    0.24398796479279394,
  ],
  'revenue_per_unit arms (mean, var of mean)': [
    [2063.5834015243413, 10772.148865306306],
    [2578.5656952948457, 11402.641680755314],
    [2013.324994645539, 12321.883296355412],
    [1922.9716273831693, 10202.823992427491],
  ],
  'revenue_per_unit arms plain mean': [2038.0396799999999, 2550.19104, 2055.3996799999995, 1942.984],
  'revenue_per_order arms (mean, var of mean)': [
    [5062.781725888325, 3193546.362359638],
    [6152.254464285715, 3774612.569985398],
    [5311.592592592592, 3500825.0383090544],
    [2404.6831683168316, 12849.752273478201],
  ],
  'items theta, cuped reduction, total reduction': [
    [1.5458553543920814e-5, -0.0070409633566677985],
    0.004121552844817411,
    0.004563816599839732,
  ],
  'items arms (mean, var of mean)': [
    [1.8407229975165786, 0.009860192098441826],
    [1.9878775245474793, 0.009806045562565983],
    [1.682968546742133, 0.009485382006461655],
    [1.7877848533482574, 0.009947962268614063],
  ],
  'items arms plain mean': [1.836, 1.992, 1.688, 1.792],
  'conversion theta, cuped reduction, total reduction': [
    [3.0706006235404728e-6, -0.0029059551406010165],
    0.007607265180869627,
    0.0039058709596515584,
  ],
  'conversion arms (mean, var of mean)': [
    [0.6734347975249456, 0.0008873406867774963],
    [0.7311689889524071, 0.000795880673705774],
    [0.6406206512110614, 0.0009179027775398794],
    [0.68438827954663, 0.0008517461517895814],
  ],
  'conversion arms plain mean': [0.672, 0.732, 0.64, 0.684],
  'revenue_per_unit b (t, df, p, holm p, cs p, holm cs p)': [
    3.4582989603640546, 497.59772817076777, 0.0005902365641606846, 0.005312129077446161, 0.09500762847832916,
    0.8550686563049625,
  ],
  'revenue_per_unit b (diff CI, lift, lift CI, CS diff, CS lift)': [
    [222.40846125327647, 807.5561262877322],
    0.24955729600756338,
    [0.08999821361336266, 0.40911637840176407],
    [-59.081689864114765, 1089.0462774051234],
    [-0.06427958301547448, 0.5633941750306013],
  ],
  'revenue_per_unit b power (fixed, sequential) at 2x1000 units, 9 tests': [0.37592686923749535, 0.08669893856873945],
  'revenue_per_unit c (t, df, p, holm p, cs p, holm cs p)': [
    -0.330718762940566, 495.76749172429675, 0.7409966517187508, 1.0, 1.0, 1.0,
  ],
  'revenue_per_unit c (diff CI, lift, lift CI, CS diff, CS lift)': [
    [-348.8375791491096, 248.3207653915049],
    -0.024354919138076636,
    [-0.1670624180222082, 0.11835257974605493],
    [-636.1002943764211, 535.5834806188163],
    [-0.3050464058961336, 0.2563365676199803],
  ],
  'revenue_per_unit c power (fixed, sequential) at 2x1000 units, 9 tests': [0.4895910413673849, 0.1420252074102232],
  'revenue_per_unit d (t, df, p, holm p, cs p, holm cs p)': [
    -0.970892137622886, 497.63337084596066, 0.33207365294535063, 1.0, 1.0, 1.0,
  ],
  'revenue_per_unit d (diff CI, lift, lift CI, CS diff, CS lift)': [
    [-425.16030354459, 143.9367552622461],
    -0.06813961288761283,
    [-0.2009636960010707, 0.06468447022584503],
    [-698.9292745372787, 417.7057262549348],
    [-0.3293914017418415, 0.19311217596661584],
  ],
  'revenue_per_unit d power (fixed, sequential) at 2x1000 units, 9 tests': [0.5707549393570426, 0.1930055692879592],
  'revenue_per_order b (t, df, p, holm p, cs p, holm cs p)': [
    0.41272173793562644, 494.56097771699416, 0.6799893568094408, 1.0, 1.0, 1.0,
  ],
  'revenue_per_order b (diff CI, lift, lift CI, CS diff, CS lift)': [
    [-4096.989773940268, 6275.935250735047],
    0.21519251616683688,
    [-0.9128501113424667, 1.3432351436761405],
    [-9086.819281672793, 11265.764758467572],
    [-2.0035553752746234, 2.433940407608297],
  ],
  'revenue_per_order b power (fixed, sequential) at 2x1000 units, 9 tests': [
    3.3179664869507776e-6, 0.0002751822655190194,
  ],
  'revenue_per_order c (t, df, p, holm p, cs p, holm cs p)': [
    0.0961644257362814, 496.9529666214868, 0.9234287506671748, 1.0, 1.0, 1.0,
  ],
  'revenue_per_order c (diff CI, lift, lift CI, CS diff, CS lift)': [
    [-4834.6793596737225, 5332.301093082257],
    0.04914509061925054,
    [-0.9762778334980213, 1.0745680147365224],
    [-9725.558316255385, 10223.180049663919],
    [-1.9677600291317927, 2.066050210370294],
  ],
  'revenue_per_order c power (fixed, sequential) at 2x1000 units, 9 tests': [
    1.4748861883261248e-5, 0.0003087087416917811,
  ],
  'revenue_per_order d (t, df, p, holm p, cs p, holm cs p)': [
    -1.4844394687024167, 251.0037514117614, 0.13894706772124507, 1.0, 0.8225182602258546, 1.0,
  ],
  'revenue_per_order d (diff CI, lift, lift CI, CS diff, CS lift)': [
    [-6184.695040960798, 868.4979258178114],
    -0.5250272876627124,
    [-0.8565421071591268, -0.19351246816629802],
    [-9561.118435979513, 4244.921320836525],
    [-1.1770840351664313, 0.12702945984100655],
  ],
  'revenue_per_order d power (fixed, sequential) at 2x1000 units, 9 tests': [0.03377247790906267, 0.004198946902908281],
  'items b (t, df, p, holm p, cs p, holm cs p)': [
    1.0493321654132004, 497.9962249314836, 0.294534232223602, 1.0, 1.0, 1.0,
  ],
  'items b (diff CI, lift, lift CI, CS diff, CS lift)': [
    [-0.12837332834858572, 0.42268238241038714],
    0.07994387380906032,
    [-0.07547664498846002, 0.23536439260658065],
    [-0.3934643160520722, 0.6877733701138736],
    [-0.22575286136674932, 0.38564060898486996],
  ],
  'items b power (fixed, sequential) at 2x1000 units, 9 tests': [0.40099287952153256, 0.09749661799310723],
  'items c (t, df, p, holm p, cs p, holm cs p)': [
    -1.1342030471380877, 497.81313599215, 0.2572552513175768, 1.0, 1.0, 1.0,
  ],
  'items c (diff CI, lift, lift CI, CS diff, CS lift)': [
    [-0.43102703930203745, 0.11551813775314601],
    -0.08570243919768539,
    [-0.227473777002464, 0.056068898607093215],
    [-0.6939477081921492, 0.3784388066432578],
    [-0.3645525900255123, 0.19314771163014155],
  ],
  'items c power (fixed, sequential) at 2x1000 units, 9 tests': [0.49682597426645975, 0.14614149594124515],
  'items d (t, df, p, holm p, cs p, holm cs p)': [
    -0.3761375629835731, 497.9902225259266, 0.7069748179844914, 1.0, 1.0, 1.0,
  ],
  'items d (diff CI, lift, lift CI, CS diff, CS lift)': [
    [-0.3294583610893262, 0.22358207275268377],
    -0.028759429984708706,
    [-0.1764883677806082, 0.11896950781119078],
    [-0.5955041042064442, 0.48962781586980175],
    [-0.3193275887104615, 0.2618087287410441],
  ],
  'items d power (fixed, sequential) at 2x1000 units, 9 tests': [0.4524548987185011, 0.12208402605756719],
  'conversion holm p (b, c, d) among themselves': [0.47996207210011654, 0.8805913233225091, 0.8805913233225091],
  'revenue_per_order b lift posterior (mean, sd, chance)': [
    0.023185775475439253, 0.18891857089294958, 0.5488391258537505,
  ],
  'revenue_per_order c lift posterior (mean, sd, chance)': [
    0.006266066777862414, 0.18681526939303988, 0.5133786190530572,
  ],
  'revenue_per_order d lift posterior (mean, sd, chance)': [
    -0.30609613404313124, 0.12914953309970303, 0.008891856045769723,
  ],
  'revenue_per_unit chance to be best': [
    0.0002692202812668848, 0.9996084673347403, 0.00011865735258262487, 3.6550314104160744e-6,
  ],
  'balance pre_revenue (F, p)': [0.2417323443905612, 0.8672383449424509],
  'balance exposure_covariate (F, p)': [1.0722937016599348, 0.35989187430982206],
};

const ARMS = ['control', 'b', 'c', 'd'] as const;
const near = (actual: number, expected: number, rel = 1e-9, what = '') => {
  if (!(Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-300))) {
    throw new Error(`${what}: ${actual} differs from the reference ${expected} by more than ${rel} relative`);
  }
};

describe('experiment statistics end to end: REST, the ledger and the tracker against scipy', () => {
  let stack: TestStack;
  let nc: NatsConnection;
  let url: string;
  const admin = () => apiClient(url, ADMIN);
  const publish = (subject: string, payload: unknown) =>
    jetstream(nc).publish(`${stack.namespace}.${subject}`, JSON.stringify(payload));
  let id: string;
  let results: ExperimentResultsV1;

  beforeAll(async () => {
    stack = await TestStack.create('expstatse2e');
    url = (await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN })).url;
    await stack.start(revenueLedger, {});
    // The rules run every second, as they would every minute in production: the results must not
    // depend on how many looks were taken while the data arrived.
    await stack.start(experimentTracker, {
      EXPERIMENTS_EVALUATE_INTERVAL_MS: '1000',
      EXPERIMENTS_ALLOCATION_DRAWS: '1000',
    });
    nc = await connectTestNats();
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
  });

  it('runs the experiment: settings over REST, traffic and money from other systems, pre-period revenue through the ledger', async () => {
    const created = await admin().post('/api/v1/experiments', {
      name: 'Checkout offer',
      hypothesis: 'A better offer earns more per visitor.',
      primaryMetric: 'revenue_per_unit',
      budgetMinor: 1_000_000,
      variants: ARMS.map((key) => ({ key, weight: 25, ...(key === 'control' ? { control: true } : {}) })),
      metrics: [
        { key: 'revenue_per_unit', capping: { type: 'percentile', value: 0.99 } },
        {
          key: 'revenue_per_order',
          kind: 'ratio',
          numerator: 'revenue',
          denominator: 'orders',
          prior: { mean: 0, variance: 0.04 },
        },
        { key: 'items', kind: 'mean', numerator: 'items' },
      ],
      analysis: { cuped: true, cupedLookbackDays: 30, correction: 'holm' },
      power: { minimumDetectableEffect: 0.1, plannedUnitsPerVariant: 1000 },
      decisionRule: { method: 'confidence-sequence', minUnitsPerVariant: 100_000 },
    });
    expect(created.status).toBe(201);
    id = created.body.id;
    expect(created.body.analysis).toMatchObject({ cuped: true, correction: 'holm', sequentialTuning: 5000 });
    expect((await admin().post(`/api/v1/experiments/${id}/start`)).body.status).toBe('running');

    const units = revenueExperimentSample();
    const sum = (f: (u: (typeof units)[number]) => number) => units.reduce((s, u) => s + f(u), 0);
    // The generators agree with the script's.
    expect([
      sum((u) => u.pre),
      sum((u) => u.old),
      sum((u) => u.cov),
      sum((u) => u.value),
      sum((u) => u.items),
      sum((u) => u.ledger),
      sum((u) => +u.converted),
      sum((u) => +u.second),
    ]).toEqual(REF['sample sums (pre, old, cov, value, items, ledger, converted, second)']);

    const exposedAt = Date.now() - 2 * 3_600_000;
    const at = (ms: number) => new Date(ms).toISOString();
    const sends: Promise<unknown>[] = [];
    for (const u of units) {
      const unitId = `${id.slice(0, 8)}-${u.arm}-${u.index}`;
      const base = { experimentId: id, variantKey: u.arm, unitId };
      sends.push(
        publish('juggernaut.experiment.exposure.v1', {
          ...base,
          occurredAt: at(exposedAt),
          covariate: u.cov,
          stratum: u.stratum,
        }),
      );
      if (u.converted)
        sends.push(
          publish('juggernaut.experiment.conversion.v1', {
            ...base,
            occurredAt: at(exposedAt + 60_000),
            valueMinor: u.value,
            metrics: { items: u.items },
          }),
        );
      if (u.second) {
        sends.push(
          publish('juggernaut.experiment.conversion.v1', {
            ...base,
            occurredAt: at(exposedAt + 120_000),
            valueMinor: 500,
            metrics: { items: 1 },
            conversionId: `${unitId}-2`,
          }),
        );
      }
      // Money the shop reports to the ledger: before the unit's exposure (no experiment yet), and after it, in the experiment.
      const sale = { currency: 'USD', source: 'shop', unitId };
      if (u.pre > 0)
        sends.push(
          publish('juggernaut.revenue.recorded.v1', {
            ...sale,
            eventId: `pre-${unitId}`,
            amountMinor: u.pre,
            occurredAt: at(exposedAt - u.preDays * 86_400_000),
          }),
        );
      if (u.old > 0)
        sends.push(
          publish('juggernaut.revenue.recorded.v1', {
            ...sale,
            eventId: `old-${unitId}`,
            amountMinor: u.old,
            occurredAt: at(exposedAt - 45 * 86_400_000),
          }),
        );
      if (u.ledger > 0) {
        sends.push(
          publish('juggernaut.revenue.recorded.v1', {
            ...sale,
            eventId: `sale-${unitId}`,
            amountMinor: u.ledger,
            occurredAt: at(exposedAt + 180_000),
            experimentId: id,
            variantKey: u.arm,
          }),
        );
      }
    }
    await Promise.all(sends);

    const theta = REF['revenue_per_unit theta, cuped reduction, total reduction'][0];
    results = await eventually(
      async () => {
        const r = (await admin().get<ExperimentResultsV1>(`/api/v1/experiments/${id}/results`)).body;
        const done =
          r.variants?.reduce((s, v) => s + v.units, 0) === 1000 &&
          r.variants.reduce((s, v) => s + v.conversions, 0) === 682 &&
          r.revenueMinor === 142_500 &&
          Math.abs(r.metrics[0]!.cuped!.theta[0]! - theta[0]) < 1e-9 * theta[0];
        return done ? r : undefined;
      },
      90_000,
      500,
    );
  });

  it('caps revenue at its 99th percentile (and the pre-period covariate at its own), reporting the caps', () => {
    const revenue = results.metrics.find((m) => m.key === 'revenue_per_unit')!;
    expect(revenue.primary).toBe(true);
    const [cap, covariateCap] = REF['caps (revenue, pre-period revenue)'];
    expect(revenue.capping).toMatchObject({ type: 'percentile', value: 0.99 });
    near(revenue.capping!.cap!, cap, 1e-12, 'cap');
    near(revenue.capping!.covariateCap!, covariateCap, 1e-12, 'covariate cap');
    REF['revenue_per_unit arms plain mean'].forEach((m: number, i: number) =>
      near(revenue.variants[i]!.mean!, m, 1e-12, `capped mean ${ARMS[i]}`),
    );
  });

  for (const key of ['revenue_per_unit', 'items', 'conversion']) {
    it(`${key}: CUPED θ on the ledger's pre-period revenue and the exposure covariate, the variance it removed, post-stratified means`, () => {
      const m = results.metrics.find((x) => x.key === key)!;
      const [theta, cupedReduction, reduction] = REF[`${key} theta, cuped reduction, total reduction`];
      expect(m.cuped!.covariates).toEqual(['pre_revenue', 'exposure_covariate']);
      theta.forEach((t: number, j: number) => near(m.cuped!.theta[j]!, t, 1e-9, `${key} θ${j}`));
      near(m.cuped!.varianceReduction, cupedReduction, 1e-7, `${key} CUPED variance reduction`);
      near(m.varianceReduction!, reduction, 1e-7, `${key} variance reduction`);
      expect(m.stratification).toEqual({ strata: 2, periods: 1 });
      REF[`${key} arms (mean, var of mean)`].forEach(([mean, v]: number[], i: number) => {
        near(m.variants[i]!.adjustedMean!, mean!, 1e-9, `${key} ${ARMS[i]} adjusted mean`);
        near(m.variants[i]!.standardError! ** 2, v!, 1e-9, `${key} ${ARMS[i]} variance of the mean`);
      });
    });
  }

  it("revenue per order: the delta-method variance of a ratio, and its lift posterior under the metric's prior", () => {
    const m = results.metrics.find((x) => x.key === 'revenue_per_order')!;
    expect(m).toMatchObject({ kind: 'ratio', numerator: 'revenue', denominator: 'orders', cuped: null, capping: null });
    REF['revenue_per_order arms (mean, var of mean)'].forEach(([mean, v]: number[], i: number) => {
      near(m.variants[i]!.mean!, mean!, 1e-12, `ratio ${ARMS[i]}`);
      near(m.variants[i]!.standardError! ** 2, v!, 1e-9, `ratio variance ${ARMS[i]}`);
    });
    for (const arm of ['b', 'c', 'd']) {
      const [mean, sd, chance] = REF[`revenue_per_order ${arm} lift posterior (mean, sd, chance)`];
      const lp = m.variants.find((v) => v.key === arm)!.liftPosterior!;
      expect(lp.prior).toEqual({ mean: 0, variance: 0.04 });
      near(lp.mean, mean, 1e-9, `posterior mean ${arm}`);
      near(lp.sd, sd, 1e-9, `posterior sd ${arm}`);
      near(lp.chanceToBeatControl, chance, 1e-8, `chance ${arm}`);
    }
  });

  it('tests every treatment on every goal metric, Holm-adjusted over the nine, with confidence sequences and power', () => {
    let significant = 0;
    for (const key of ['revenue_per_unit', 'revenue_per_order', 'items']) {
      const m = results.metrics.find((x) => x.key === key)!;
      for (const arm of ['b', 'c', 'd']) {
        const v = m.variants.find((x) => x.key === arm)!;
        const what = `${key} ${arm}`;
        const [t, df, p, holm, csP, holmCs] = REF[`${key} ${arm} (t, df, p, holm p, cs p, holm cs p)`];
        expect(v.comparison!.test).toBe('welch-t');
        near(v.comparison!.statistic, t, 1e-9, `${what} t`);
        near(v.comparison!.degreesOfFreedom!, df, 1e-9, `${what} df`);
        near(v.comparison!.pValue, p, 1e-8, `${what} p`);
        near(v.comparison!.adjustedPValue, holm, 1e-8, `${what} Holm p`);
        near(v.confidenceSequence!.pValue, csP, 1e-8, `${what} confidence-sequence p`);
        near(v.confidenceSequence!.adjustedPValue, holmCs, 1e-8, `${what} Holm confidence-sequence p`);
        const [diffCi, lift, liftCi, csDiff, csLift] = REF[`${key} ${arm} (diff CI, lift, lift CI, CS diff, CS lift)`];
        near(v.comparison!.differenceInterval.lower, diffCi[0], 1e-9, `${what} CI`);
        near(v.comparison!.differenceInterval.upper, diffCi[1], 1e-9, `${what} CI`);
        near(v.comparison!.lift!, lift, 1e-9, `${what} lift`);
        near(v.comparison!.liftInterval!.lower, liftCi[0], 1e-9, `${what} lift CI`);
        near(v.comparison!.liftInterval!.upper, liftCi[1], 1e-9, `${what} lift CI`);
        near(v.confidenceSequence!.difference.lower, csDiff[0], 1e-9, `${what} CS`);
        near(v.confidenceSequence!.difference.upper, csDiff[1], 1e-9, `${what} CS`);
        near(v.confidenceSequence!.lift!.lower, csLift[0], 1e-9, `${what} CS lift`);
        near(v.confidenceSequence!.lift!.upper, csLift[1], 1e-9, `${what} CS lift`);
        // A confidence sequence is wider than the fixed-horizon interval: the price of reading it every hour.
        expect(v.confidenceSequence!.difference.upper - v.confidenceSequence!.difference.lower).toBeGreaterThan(
          v.comparison!.differenceInterval.upper - v.comparison!.differenceInterval.lower,
        );
        const [power, sequentialPower] = REF[`${key} ${arm} power (fixed, sequential) at 2x1000 units, 9 tests`];
        expect(v.power).toMatchObject({ minimumDetectableEffect: 0.1, units: 500, projectedUnits: 2000 });
        near(v.power!.power, power, 1e-8, `${what} power`);
        near(v.power!.sequentialPower, sequentialPower, 1e-8, `${what} sequential power`);
        if (v.comparison!.adjustedPValue < 0.05) significant++;
      }
    }
    // b's capped, CUPED-adjusted revenue lift survives Holm over nine comparisons; nothing else does.
    expect(significant).toBe(1);
    expect(results.correction).toBe('holm');
    const b = results.variants.find((v) => v.key === 'b')!;
    expect(b.frequentist!.adjustedPValue).toBe(results.metrics[0]!.variants[1]!.comparison!.adjustedPValue);
    expect(b.confidenceSequence).toEqual(results.metrics[0]!.variants[1]!.confidenceSequence);
  });

  it('the conversion built-in is reported, Holm-adjusted over its three treatments only (it decides nothing)', () => {
    const m = results.metrics.find((x) => x.key === 'conversion')!;
    REF['conversion holm p (b, c, d) among themselves'].forEach((p: number, i: number) =>
      near(m.variants[i + 1]!.comparison!.adjustedPValue, p, 1e-8, 'conversion Holm'),
    );
  });

  it("the primary metric's posteriors: chance to be best of four from the adjusted estimates", () => {
    REF['revenue_per_unit chance to be best'].forEach((p: number, i: number) => {
      expect(Math.abs(results.variants[i]!.bayesian!.chanceToBeBest - p)).toBeLessThan(1e-8);
    });
  });

  it('health: no sample ratio mismatch, and the pre-exposure covariates are balanced (ANOVA as scipy.stats.f_oneway)', () => {
    expect(results.health.srm).toMatchObject({
      observed: [250, 250, 250, 250],
      chiSquare: 0,
      pValue: 1,
      checked: true,
      flagged: false,
    });
    for (const name of ['pre_revenue', 'exposure_covariate']) {
      const b = results.health.balance.find((x) => x.covariate === name)!;
      const [f, p] = REF[`balance ${name} (F, p)`];
      near(b.fStatistic, f, 1e-9, `${name} F`);
      near(b.pValue, p, 1e-8, `${name} p`);
      expect(b.flagged).toBe(false);
    }
    expect(results.decision).toMatchObject({ action: 'continue' });
  });

  it("the settings and the weights' history over REST; the sample-size calculator with the variance CUPED removed", async () => {
    const got = (await admin().get<ExperimentV1>(`/api/v1/experiments/${id}`)).body;
    expect(got.metrics.map((m) => m.key)).toEqual(['conversion', 'revenue_per_unit', 'revenue_per_order', 'items']);
    expect(got.power).toEqual({ minimumDetectableEffect: 0.1, plannedUnitsPerVariant: 1000, plannedEndAt: null });
    const weights = (await admin().get(`/api/v1/experiments/${id}/weights`)).body;
    expect(weights).toMatchObject({
      experimentId: id,
      bandit: false,
      current: { version: 1, reason: 'configured weights' },
    });
    expect(weights.current.weights).toEqual({ control: 0.25, b: 0.25, c: 0.25, d: 0.25 });
    expect(weights.history).toHaveLength(1);
    const draft = (
      await admin().post('/api/v1/experiments', {
        name: 'x',
        hypothesis: 'y',
        primaryMetric: 'conversion',
        budgetMinor: 1,
        variants: [
          { key: 'a', weight: 1, control: true },
          { key: 'b', weight: 1 },
        ],
      })
    ).body;
    expect((await admin().get(`/api/v1/experiments/${draft.id}/weights`)).status).toBe(404);

    const reduction = results.metrics[0]!.cuped!.varianceReduction;
    const plain = (
      await admin().get(
        '/api/v1/experiments/sample-size?metric=revenue_per_unit&standardDeviation=1500&minimumDetectableDifference=100',
      )
    ).body;
    const cuped = (
      await admin().get(
        `/api/v1/experiments/sample-size?metric=revenue_per_unit&standardDeviation=1500&minimumDetectableDifference=100&varianceReduction=${reduction}`,
      )
    ).body;
    expect(plain.unitsPerVariant).toBe(3532);
    expect(cuped.unitsPerVariant).toBe(
      Math.ceil((2 * (1.959963984540054 + 0.8416212335729143) ** 2 * 1500 ** 2 * (1 - reduction)) / 100 ** 2),
    );
    expect(cuped.varianceReduction).toBe(reduction);
  });

  it('documents the new routes and schemas in OpenAPI', async () => {
    const doc = (await apiClient(url).get('/docs-json')).body;
    expect(Object.keys(doc.paths)).toContain('/api/v1/experiments/{id}/weights');
    for (const schema of [
      'MetricDto',
      'AnalysisSettingsDto',
      'PowerSettingsDto',
      'BanditSettingsDto',
      'MetricResultV1',
      'ConfidenceSequenceV1',
      'PowerResultV1',
      'VariantWeightsHistoryV1',
    ]) {
      expect(Object.keys(doc.components.schemas)).toContain(schema);
    }
    expect(doc.components.schemas.CreateExperimentDto.properties.metrics).toBeDefined();
    expect(
      doc.components.schemas.SampleSizeQueryV1?.properties?.varianceReduction ??
        doc.paths['/api/v1/experiments/sample-size'].get.parameters.find(
          (p: { name: string }) => p.name === 'varianceReduction',
        ),
    ).toBeDefined();
  });
});
