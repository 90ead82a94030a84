import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects, type WorkerPresenceV1 } from '@juggernaut/contracts';
import { Bus, Consume } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { GovernanceEnv } from '../config';
import { WorkersRepository } from './workers.repository';

/**
 * The worker registry: presence events (durable) and heartbeats (core NATS, every few seconds)
 * keep it current; a sweep marks silent workers offline and announces it.
 */
@Injectable()
export class WorkersRegistry implements OnApplicationBootstrap, OnModuleDestroy {
  private sub?: Subscription;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly bus: Bus,
    private readonly repo: WorkersRepository,
    metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: GovernanceEnv,
  ) {
    const registry = this.repo;
    metrics.gauge('juggernaut_workers_online', 'Workers online (including draining)', [], async function () {
      this.set(await registry.countOnline());
    });
  }

  onApplicationBootstrap(): void {
    this.sub = this.bus.listen(Subjects.workerHeartbeat, async (hb) => {
      if (typeof hb.workerId !== 'string' || typeof hb.level !== 'number' || !Array.isArray(hb.capabilities)) return;
      await this.repo.seen({
        id: hb.workerId,
        level: hb.level,
        capabilities: hb.capabilities,
        concurrency: hb.concurrency ?? 0,
        runningTaskIds: (hb.runningTaskIds ?? []).filter((t) => typeof t === 'string'),
        draining: hb.draining === true,
        at: new Date(hb.at ?? Date.now()),
      });
    });
    this.sweeper = setInterval(
      () => void this.sweep(),
      Math.max(250, Math.floor(this.config.JUGGERNAUT_WORKER_SILENT_MS / 3)),
    );
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
    this.sub?.unsubscribe();
  }

  @Consume(Subjects.workerOnline, { durable: 'governance-worker-online' })
  async online(e: WorkerPresenceV1): Promise<void> {
    await this.repo.seen({
      id: e.workerId,
      level: e.level,
      capabilities: e.capabilities,
      at: new Date(e.at),
      started: true,
    });
  }

  @Consume(Subjects.workerOffline, { durable: 'governance-worker-offline' })
  async offline(e: WorkerPresenceV1): Promise<void> {
    await this.repo.offline(e.workerId, e.reason, new Date(e.at));
  }

  private async sweep(): Promise<void> {
    try {
      for (const w of await this.repo.sweepSilent(this.config.JUGGERNAUT_WORKER_SILENT_MS)) {
        this.logger.warn({ workerId: w.id }, 'worker went silent; marked offline');
        await this.bus.publish(Subjects.workerOffline, {
          workerId: w.id,
          level: w.level,
          capabilities: w.capabilities,
          reason: 'silent',
          at: new Date().toISOString(),
        });
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'worker sweep failed');
    }
  }
}
