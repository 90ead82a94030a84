import type { Bus } from '@juggernaut/messaging';
import type { Metrics } from '@juggernaut/observability';
import type { DataSource } from 'typeorm';

export type DependencyChecks = Record<string, { ok: boolean; error?: string }>;

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether this service's Postgres (if it has one) and NATS answer: readiness, and a gauge at scrape time. */
export class HealthChecks {
  constructor(
    private readonly bus: Bus,
    metrics: Metrics,
    private readonly dataSource?: DataSource,
  ) {
    const checks = () => this.run();
    metrics.gauge(
      'juggernaut_dependency_up',
      'Whether the dependency (postgres, nats) answers this service: 1 or 0',
      ['dependency'],
      async function () {
        for (const [dependency, check] of Object.entries(await checks())) this.set({ dependency }, check.ok ? 1 : 0);
      },
    );
  }

  async run(): Promise<DependencyChecks> {
    const checks: DependencyChecks = {};
    if (this.dataSource) {
      try {
        await withTimeout(this.dataSource.query('SELECT 1'), 1_500);
        checks['postgres'] = { ok: true };
      } catch (e) {
        checks['postgres'] = { ok: false, error: (e as Error).message };
      }
    }
    checks['nats'] = (await this.bus.healthy(1_500)) ? { ok: true } : { ok: false, error: 'NATS not reachable' };
    return checks;
  }
}
