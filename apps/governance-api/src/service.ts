import type { ServiceDefinition } from '@juggernaut/service-kit';
import { GovernanceEnv } from './config';
import { GovernanceModule } from './governance.module';
import { configureHttp } from './http/configure-http';
import { governanceMigrations } from './migrations';

export const governanceApi: ServiceDefinition<GovernanceEnv> = {
  name: 'governance-api',
  envClass: GovernanceEnv,
  module: GovernanceModule,
  // The stream administrator: the one NATS user allowed to change a stream (to add a release's new subjects).
  natsStreams: 'administer',
  database: { schema: 'governance', migrations: governanceMigrations, outbox: true, appendOnlyTables: ['audit_log'] },
  configureHttp: (app, ctx) =>
    configureHttp(app, ctx.config.JUGGERNAUT_TRUSTED_PROXY_HOPS, ctx.config.JUGGERNAUT_WEBHOOK_MAX_BYTES),
};
