import type { INestApplication, Type } from '@nestjs/common';
import type { BaseEnv } from '@juggernaut/config';
import type { ServiceContext } from './service-context';

export interface ServiceDefinition<E extends BaseEnv> {
  /** Service name: logs, metrics label, NATS queue group, Postgres application_name. */
  name: string;
  envClass: new () => E;
  /** The app's root feature module. */
  module: Type<unknown>;
  /** The schema this service owns, with its versioned migrations and entities. */
  database?: {
    schema: string;
    migrations: Function[];
    entities?: Function[];
    /** Whether the schema has an outbox table the relay publishes from. */
    outbox?: boolean;
    /**
     * Tables the service's runtime database role may only read and append to (SELECT, INSERT): an
     * audit log, a ledger, a timeline. Enforced when migrate provisions the roles (DATABASE_ADMIN_URL).
     */
    appendOnlyTables?: string[];
  };
  /**
   * What the service does with the JetStream streams at boot (its NATS user allows just that):
   * `create` (default) creates missing ones; `administer` also adds subjects a new release brings to
   * an existing stream (one service: governance-api); `none` leaves them alone (agent-runner, which
   * only publishes to them).
   */
  natsStreams?: 'create' | 'administer' | 'none';
  /**
   * Where health and metrics are served when METRICS_PORT is unset (DEFAULT_METRICS_PORTS otherwise):
   * each service its own, so the whole stack runs side by side on one host.
   */
  metricsPort?: number;
  /**
   * The service's API: only a service with one listens on HTTP_PORT. Extra HTTP setup (global prefix,
   * Swagger, pipes) before the app listens.
   */
  configureHttp?: (app: INestApplication, ctx: ServiceContext<E>) => void | Promise<void>;
}
