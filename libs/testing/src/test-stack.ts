import type { BaseEnv } from '@juggernaut/config';
import { migrateService, type RunningService, type ServiceDefinition, startService } from '@juggernaut/service-kit';
import { Writable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from './test-database';
import { cleanupNamespace, TEST_NATS_URL, testNamespace } from './test-nats';

/** Collects a service's JSON log lines so tests can assert on them (and keep the output quiet). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

/**
 * The real parts one suite needs: its own database and NATS namespace, and services booted
 * in-process against them on free ports. `close()` stops the services and removes both.
 */
export class TestStack {
  readonly namespace = testNamespace();
  readonly services: RunningService<BaseEnv>[] = [];
  readonly logs = new LogCapture();
  private constructor(readonly db: TestDatabase) {}

  static async create(label: string): Promise<TestStack> {
    return new TestStack(await createTestDatabase(label));
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.db.url,
      NATS_URL: TEST_NATS_URL,
      NATS_NAMESPACE: this.namespace,
      HTTP_PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'warn',
      DATABASE_POOL_SIZE: '4',
      SHUTDOWN_GRACE_MS: '5000',
      ...extra,
    };
  }

  /** Migrates and starts a service against this stack. */
  async start<E extends BaseEnv>(
    def: ServiceDefinition<E>,
    extra: Record<string, string> = {},
  ): Promise<RunningService<E>> {
    const env = this.env(extra);
    await migrateService(def, env);
    // TEST_LOG_STDOUT=1 shows service logs while debugging a suite.
    const running = await startService(def, env, process.env['TEST_LOG_STDOUT'] ? {} : { logDestination: this.logs });
    this.services.push(running as unknown as RunningService<BaseEnv>);
    return running;
  }

  async close(): Promise<void> {
    for (const s of this.services.reverse()) await s.close().catch(() => undefined);
    await cleanupNamespace(this.namespace).catch(() => undefined);
    await this.db.drop();
  }
}
