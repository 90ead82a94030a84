import 'reflect-metadata';
import { type INestApplication, Module } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type BaseEnv, type DatabaseEnv, loadConfig, secretValuesOf } from '@juggernaut/config';
import { Bus, type RunningHandlers } from '@juggernaut/messaging';
import { createLogger, Metrics, NestJsonLogger, registerSecret } from '@juggernaut/observability';
import {
  createServiceDataSource,
  grantRuntimePrivileges,
  pendingMigrations,
  provisionServiceRoles,
  runMigrations,
} from '@juggernaut/persistence';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { startDeclaredHandlers } from './declared-handlers';
import { HealthChecks } from './health-checks';
import { correlationMiddleware, httpMetricsMiddleware } from './http-middleware';
import { OpsServer } from './ops-server';
import { OutboxRelay } from './outbox-relay';
import { PlatformModule } from './platform.module';
import type { ServiceContext } from './service-context';
import type { ServiceDefinition } from './service-definition';

type Env = Record<string, string | undefined>;

export interface RunningService<E extends BaseEnv> {
  app: INestApplication;
  ctx: ServiceContext<E>;
  /** The API's port (HTTP_PORT) for a service that has an API; otherwise the same as metricsPort. */
  port: number;
  url: string;
  /** Health and metrics (METRICS_PORT). */
  metricsPort: number;
  metricsUrl: string;
  close(): Promise<void>;
}

/**
 * Where each service serves health and metrics unless METRICS_PORT says otherwise: one port each, so
 * the whole stack runs side by side on one host (`npm start` gives its extra runners 9410 and up).
 * Containers set METRICS_PORT=9464 (docker/Dockerfile).
 */
export const DEFAULT_METRICS_PORTS: Readonly<Record<string, number>> = {
  'governance-api': 9400,
  'task-dispatcher': 9401,
  'revenue-ledger': 9402,
  'experiment-tracker': 9403,
  'dev-bot': 9404,
  'agent-runner': 9405,
};
const FALLBACK_METRICS_PORT = 9464;

function metricsPortOf<E extends BaseEnv>(def: ServiceDefinition<E>, config: E): number {
  return config.METRICS_PORT ?? def.metricsPort ?? DEFAULT_METRICS_PORTS[def.name] ?? FALLBACK_METRICS_PORT;
}

function hasDatabase(config: BaseEnv): config is DatabaseEnv {
  return typeof (config as Partial<DatabaseEnv>).DATABASE_URL === 'string';
}

/** Loads and validates the service's config; the secrets in it are registered for redaction. */
export function configFor<E extends BaseEnv>(def: ServiceDefinition<E>, env: Env = process.env): E {
  const config = loadConfig(def.envClass, env);
  for (const secret of secretValuesOf(config)) registerSecret(secret);
  return config;
}

function dataSourceFor<E extends BaseEnv>(
  def: ServiceDefinition<E>,
  config: E,
  as?: { url: string; role: string },
): DataSource | undefined {
  if (!def.database) return undefined;
  if (!hasDatabase(config))
    throw new Error(`${def.name} owns schema ${def.database.schema} but its env has no DATABASE_URL`);
  return createServiceDataSource({
    url: as?.url ?? config.DATABASE_URL,
    schema: def.database.schema,
    service: def.name,
    migrations: def.database.migrations,
    entities: def.database.entities ?? [],
    poolSize: config.DATABASE_POOL_SIZE,
    ...(as ? { role: as.role } : {}),
  });
}

/**
 * Applies the service's pending migrations and returns their names. With DATABASE_ADMIN_URL (the
 * split described in docs/adr/0001-schema-owner-and-runtime-roles.md) it first provisions the
 * schema's owner role and DATABASE_URL's runtime role, runs the migrations as the owner, and then
 * grants the runtime role its privileges on what they created. Without it, the migrations run as
 * DATABASE_URL's role, which must then own the schema (one role for everything: not least privilege).
 */
export async function migrateService<E extends BaseEnv>(
  def: ServiceDefinition<E>,
  env: Env = process.env,
): Promise<string[]> {
  const config = configFor(def, env);
  if (!def.database) return [];
  const roles =
    hasDatabase(config) && config.DATABASE_ADMIN_URL
      ? {
          adminUrl: config.DATABASE_ADMIN_URL,
          serviceUrl: config.DATABASE_URL,
          schema: def.database.schema,
          appendOnlyTables: def.database.appendOnlyTables ?? [],
        }
      : undefined;
  const asOwner = roles ? { url: roles.adminUrl, role: (await provisionServiceRoles(roles)).owner } : undefined;
  const ds = dataSourceFor(def, config, asOwner)!;
  await ds.initialize();
  try {
    return await runMigrations(ds, def.database.schema);
  } finally {
    await ds.destroy();
    if (roles) await grantRuntimePrivileges(roles);
  }
}

/** Names of the service's migrations not yet applied. */
export async function checkMigrations<E extends BaseEnv>(
  def: ServiceDefinition<E>,
  env: Env = process.env,
): Promise<string[]> {
  const config = configFor(def, env);
  const ds = dataSourceFor(def, config);
  if (!ds || !def.database) return [];
  await ds.initialize();
  try {
    return await pendingMigrations(ds, def.database.schema);
  } finally {
    await ds.destroy();
  }
}

/**
 * Boots a service: config, logger, metrics, NATS (streams ensured), Postgres, the Nest app, the
 * outbox relay; serves health and metrics on METRICS_PORT at METRICS_HOST, and, for a service with an
 * API, the API on HTTP_PORT (0 picks a free port for either).
 */
export async function startService<E extends BaseEnv>(
  def: ServiceDefinition<E>,
  env: Env = process.env,
  options: { logDestination?: NodeJS.WritableStream } = {},
): Promise<RunningService<E>> {
  const config = configFor(def, env);
  const logger = createLogger({
    service: def.name,
    level: config.LOG_LEVEL,
    ...(options.logDestination ? { destination: options.logDestination, pretty: false } : {}),
  });
  const metrics = new Metrics(def.name);
  const bus = await Bus.connect({
    servers: config.NATS_URL,
    service: def.name,
    logger,
    metrics,
    ...(config.NATS_USER ? { user: config.NATS_USER, pass: config.NATS_PASS ?? '' } : {}),
    ...(config.NATS_CREDS ? { creds: config.NATS_CREDS } : {}),
    ...(config.NATS_NAMESPACE ? { namespace: config.NATS_NAMESPACE } : {}),
  });
  let dataSource: DataSource | undefined;
  let relay: OutboxRelay | undefined;
  let ops: OpsServer | undefined;
  let app: NestExpressApplication | undefined;
  let handlers: RunningHandlers | undefined;
  try {
    if (def.natsStreams !== 'none') await bus.ensureStreams(undefined, { update: def.natsStreams === 'administer' });
    dataSource = dataSourceFor(def, config);
    if (dataSource) {
      await dataSource.initialize();
      const pending = await pendingMigrations(dataSource, def.database!.schema);
      if (pending.length > 0) {
        throw new Error(
          `schema ${def.database!.schema} has ${pending.length} pending migration(s); run "${def.name} migrate" first`,
        );
      }
    }
    const ctx: ServiceContext<E> = {
      service: def.name,
      config,
      logger,
      metrics,
      bus,
      ...(dataSource ? { dataSource } : {}),
    };

    @Module({ imports: [PlatformModule.forRoot(ctx), DiscoveryModule, def.module] })
    class RootModule {}

    app = await NestFactory.create<NestExpressApplication>(RootModule, {
      logger: new NestJsonLogger(logger),
      abortOnError: false,
      bodyParser: true,
    });
    // No response says what serves it.
    app.disable('x-powered-by');
    app.use(correlationMiddleware);
    app.use(httpMetricsMiddleware(metrics));
    await def.configureHttp?.(app, ctx);
    await app.init();
    // The @Respond and @Consume methods of its providers, once every provider has started.
    handlers = await startDeclaredHandlers(app, bus);
    if (dataSource && def.database?.outbox && hasDatabase(config)) {
      relay = new OutboxRelay(dataSource, config.DATABASE_URL, def.database.schema, bus, logger, { metrics });
      await relay.start();
    }
    // The API listens first: a service that answers /health/ready takes requests.
    let apiPort: number | undefined;
    if (def.configureHttp) {
      await app.listen(config.HTTP_PORT, '0.0.0.0');
      apiPort = (app.getHttpServer().address() as AddressInfo).port;
    }
    ops = await OpsServer.listen(
      metricsPortOf(def, config),
      config.METRICS_HOST,
      new HealthChecks(bus, metrics, dataSource),
      metrics,
    );
    const metricsPort = ops.port;
    const port = apiPort ?? metricsPort;
    if (apiPort !== undefined) {
      logger.info(
        { port, metricsPort },
        `${def.name} listening on :${port} (API), health and metrics on ${config.METRICS_HOST}:${metricsPort}`,
      );
    } else {
      logger.info({ metricsPort }, `${def.name} serving health and metrics on ${config.METRICS_HOST}:${metricsPort}`);
    }

    const opsServer = ops;
    const nest = app;
    const running = handlers;
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        // Requests already received are answered before the providers they need stop.
        await running.stop();
        await nest.close();
        await opsServer.close();
        await relay?.stop();
        await bus.close();
        if (dataSource?.isInitialized) await dataSource.destroy();
        logger.info(`${def.name} stopped`);
        logger.flush?.();
      })();
      return closing;
    };
    const local = (p: number) => `http://127.0.0.1:${p}`;
    return { app, ctx, port, url: local(port), metricsPort, metricsUrl: local(metricsPort), close };
  } catch (e) {
    await handlers?.stop();
    await app?.close().catch(() => undefined);
    await ops?.close();
    await relay?.stop();
    await bus.close().catch(() => undefined);
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw e;
  }
}

/**
 * The process entry point of every service: `main.js` starts it, `main.js migrate` applies its
 * migrations, `main.js migrate --check` exits non-zero when some are pending. A bad environment
 * stops it with one line; SIGTERM/SIGINT close it within SHUTDOWN_GRACE_MS.
 */
export function runService<E extends BaseEnv>(def: ServiceDefinition<E>): void {
  const [command, flag] = process.argv.slice(2);
  const fail = (e: unknown): never => {
    process.stderr.write(`${def.name}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  };
  if (command === 'migrate') {
    const job = flag === '--check' ? checkMigrations(def) : migrateService(def);
    job.then((names) => {
      if (flag === '--check') {
        process.stdout.write(
          names.length ? `${def.name}: pending migrations: ${names.join(', ')}\n` : `${def.name}: schema is current\n`,
        );
        process.exit(names.length ? 2 : 0);
      }
      process.stdout.write(`${def.name}: ${names.length ? `applied ${names.join(', ')}` : 'nothing to migrate'}\n`);
      process.exit(0);
    }, fail);
    return;
  }
  if (command && command !== 'start') fail(new Error(`unknown command "${command}" (expected start or migrate)`));
  let config: E;
  try {
    config = configFor(def);
  } catch (e) {
    fail(e);
    return;
  }
  startService(def).then((running) => {
    const stop = (signal: string) => {
      running.ctx.logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        running.ctx.logger.error('shutdown grace period exceeded; exiting');
        process.exit(1);
      }, config.SHUTDOWN_GRACE_MS + 2_000);
      timer.unref();
      running.close().then(
        () => process.exit(0),
        (e: unknown) => {
          running.ctx.logger.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  }, fail);
}
