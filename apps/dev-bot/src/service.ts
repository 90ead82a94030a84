import type { ServiceDefinition } from '@juggernaut/service-kit';
import { DevBotEnv } from './config';
import { devbotMigrations } from './migrations';
import { DevBotModule } from './dev-bot.module';

export const devBot: ServiceDefinition<DevBotEnv> = {
  name: 'dev-bot',
  envClass: DevBotEnv,
  module: DevBotModule,
  database: { schema: 'devbot', migrations: devbotMigrations, outbox: true, appendOnlyTables: ['change_steps'] },
};
