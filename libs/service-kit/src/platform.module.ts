import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { DataSource } from 'typeorm';
import type { ServiceContext } from './service-context';
import { APP_CONFIG, LOGGER, SERVICE_NAME } from './tokens';

/** Makes the process's config, logger, metrics, bus and data source injectable everywhere. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(ctx: ServiceContext<object>): DynamicModule {
    const providers: Provider[] = [
      { provide: APP_CONFIG, useValue: ctx.config },
      { provide: LOGGER, useValue: ctx.logger },
      { provide: SERVICE_NAME, useValue: ctx.service },
      { provide: Metrics, useValue: ctx.metrics },
      { provide: Bus, useValue: ctx.bus },
    ];
    if (ctx.dataSource) providers.push({ provide: DataSource, useValue: ctx.dataSource });
    return {
      module: PlatformModule,
      providers,
      exports: providers.map((p) => (p as { provide: unknown }).provide as string | symbol),
    };
  }
}
