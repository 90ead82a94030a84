import type { Bus } from '@juggernaut/messaging';
import type { Metrics } from '@juggernaut/observability';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';

export interface ServiceContext<E extends object> {
  service: string;
  config: E;
  logger: Logger;
  metrics: Metrics;
  bus: Bus;
  dataSource?: DataSource;
}
