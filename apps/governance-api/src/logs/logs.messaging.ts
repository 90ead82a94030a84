import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus, type ConsumerHandle } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { LogsService } from './logs.service';

/** The execution log over NATS: request/reply for callers that need the id, a durable stream for the rest. */
@Injectable()
export class LogsMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private sub?: Subscription;
  private consumer?: ConsumerHandle;

  constructor(
    private readonly bus: Bus,
    private readonly logs: LogsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.sub = this.bus.respond(Subjects.logCreate, async (payload) => ({ id: (await this.logs.append(payload)).id }));
    this.consumer = await this.bus.consume(
      Subjects.logAppend,
      { durable: 'governance-log-append', concurrency: 8 },
      async (payload) => {
        await this.logs.append(payload);
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.sub?.unsubscribe();
    await this.consumer?.stop();
  }
}
