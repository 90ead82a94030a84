import { IsIn, IsInt, IsIP, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { Secret, ToInt } from './env-decorators';

export const LOG_LEVEL_NAMES = ['debug', 'info', 'warn', 'error'] as const;

/** Environment every service reads. */
export class BaseEnv {
  @IsString()
  @Matches(/^(nats|tls|ws|wss):\/\/[^\s,]+(,\s*(nats|tls|ws|wss):\/\/[^\s,]+)*$/, {
    message: 'NATS_URL must be one or more nats:// URLs separated by commas',
  })
  NATS_URL = 'nats://127.0.0.1:4222';

  @IsOptional()
  @IsString()
  @MinLength(1)
  NATS_USER?: string;

  @IsOptional()
  @IsString()
  @Secret()
  NATS_PASS?: string;

  @IsOptional()
  @IsString()
  @Secret()
  NATS_CREDS?: string;

  /** Prepended to every subject and stream name, so several deployments (or test suites) share one NATS. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'NATS_NAMESPACE must be letters, digits, "_" or "-"' })
  NATS_NAMESPACE?: string;

  /** The API's port (governance-api); a service without an API does not listen on it. */
  @ToInt()
  @IsInt({ message: 'HTTP_PORT must be an integer port number' })
  @Min(0)
  @Max(65535)
  HTTP_PORT = 3000;

  /**
   * Port of health and metrics (`/health/live`, `/health/ready`, `/metrics`), never the API's. Unset:
   * the service's own default (governance-api 9400 … agent-runner 9405).
   */
  @IsOptional()
  @ToInt()
  @IsInt({ message: 'METRICS_PORT must be an integer port number' })
  @Min(0)
  @Max(65535)
  METRICS_PORT?: number;

  /** Address health and metrics listen on: loopback unless a deployment opens it to its scraper and probes (containers: 0.0.0.0). */
  @IsIP(undefined, { message: 'METRICS_HOST must be an IP address such as 127.0.0.1 or 0.0.0.0' })
  METRICS_HOST = '127.0.0.1';

  @IsIn(LOG_LEVEL_NAMES, { message: `LOG_LEVEL must be one of ${LOG_LEVEL_NAMES.join(', ')}` })
  LOG_LEVEL: (typeof LOG_LEVEL_NAMES)[number] = 'info';

  /** How long a SIGTERM waits for in-flight work before the process exits. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_GRACE_MS = 25_000;
}

/** Environment of services that own a Postgres schema. */
export class DatabaseEnv extends BaseEnv {
  @IsString({ message: 'DATABASE_URL must be a postgres:// connection string' })
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// connection string' })
  @Secret()
  DATABASE_URL!: string;

  @ToInt()
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  /**
   * Only for `migrate`: a connection allowed to create roles. When set, migrate provisions the
   * service's runtime role (named in DATABASE_URL: DML on its schema, no DDL) and the schema's owner
   * role `<runtime>_owner` (NOLOGIN, owns the schema and everything in it), runs the migrations as the
   * owner and grants the runtime role what it needs (docs/adr/0001-schema-owner-and-runtime-roles.md).
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_ADMIN_URL must be a postgres:// connection string' })
  @Secret()
  DATABASE_ADMIN_URL?: string;
}
