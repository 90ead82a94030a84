import type { ServiceDefinition } from '@juggernaut/service-kit';
import { GovernanceEnv } from './config';
import { GovernanceModule } from './governance.module';
import { configureHttp } from './http/configure-http';
import { governanceMigrations } from './migrations';

export const governanceApi: ServiceDefinition<GovernanceEnv> = {
  name: 'governance-api',
  envClass: GovernanceEnv,
  module: GovernanceModule,
  database: { schema: 'governance', migrations: governanceMigrations, outbox: true, appendOnlyTables: ['audit_log'] },
  configureHttp: (app) => configureHttp(app),
};
