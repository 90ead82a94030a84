import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRIC_PREFIX = 'juggernaut_';

/**
 * One Prometheus registry per service process, with the process defaults and a `service` label.
 * Metric names are checked for the `juggernaut_` prefix so a dashboard never queries a name that
 * does not exist.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.getOrCreate(
      name,
      () => new Counter({ name: checked(name, '_total'), help, labelNames, registers: [this.registry] }),
    );
  }

  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (this: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    return this.getOrCreate(
      name,
      () =>
        new Gauge({
          name: checked(name),
          help,
          labelNames,
          registers: [this.registry],
          ...(collect ? { collect } : {}),
        }),
    );
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets?: number[],
  ): Histogram<L> {
    return this.getOrCreate(
      name,
      () =>
        new Histogram({
          name: checked(name),
          help,
          labelNames,
          registers: [this.registry],
          ...(buckets ? { buckets } : {}),
        }),
    );
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  private getOrCreate<M>(name: string, make: () => M): M {
    return (this.registry.getSingleMetric(name) as M | undefined) ?? make();
  }
}

function checked(name: string, suffix?: string): string {
  if (!name.startsWith(METRIC_PREFIX)) throw new Error(`metric ${name} must start with ${METRIC_PREFIX}`);
  if (suffix && !name.endsWith(suffix)) throw new Error(`counter ${name} must end with ${suffix}`);
  return name;
}

/** Latency buckets in seconds, from 1 ms to 1 min. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
