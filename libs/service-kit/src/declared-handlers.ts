import type { INestApplicationContext } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { type Bus, declaresHandlers, type RunningHandlers, startHandlers } from '@juggernaut/messaging';

/**
 * Finds every provider of the app whose class declares `@Respond` or `@Consume` methods and starts
 * them on the bus. The app must import Nest's DiscoveryModule (startService's root module does).
 * Called once the app is initialised, so each handler's providers have finished their own start.
 */
export async function startDeclaredHandlers(app: INestApplicationContext, bus: Bus): Promise<RunningHandlers> {
  const instances = new Set<object>();
  for (const wrapper of app.get(DiscoveryService).getProviders()) {
    if (!wrapper.isDependencyTreeStatic()) continue; // request-scoped: no instance to subscribe at boot
    const instance: unknown = wrapper.instance;
    if (instance && typeof instance === 'object' && declaresHandlers(instance)) instances.add(instance);
  }
  return startHandlers(bus, instances);
}
