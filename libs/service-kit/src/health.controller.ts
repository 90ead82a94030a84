import { Controller, Get, HttpCode, Inject, Optional, Res, SetMetadata } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Bus } from '@juggernaut/messaging';
import { Metrics } from '@juggernaut/observability';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { PUBLIC_ROUTE } from './tokens';

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness, readiness (Postgres and NATS reachable) and Prometheus metrics, outside the API prefix. */
@ApiExcludeController()
@SetMetadata(PUBLIC_ROUTE, true)
@Controller()
export class HealthController {
  constructor(
    private readonly bus: Bus,
    private readonly metrics: Metrics,
    @Optional() @Inject(DataSource) private readonly dataSource?: DataSource,
  ) {
    // The readiness checks, also as a gauge at scrape time, so dashboards and alerts see them.
    const checks = () => this.checks();
    metrics.gauge('juggernaut_dependency_up', 'Whether the dependency (postgres, nats) answers this service: 1 or 0', ['dependency'], async function () {
      for (const [dependency, check] of Object.entries(await checks())) this.set({ dependency }, check.ok ? 1 : 0);
    });
  }

  @Get('health/live')
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const checks = await this.checks();
    const ok = Object.values(checks).every((c) => c.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
  }

  private async checks(): Promise<Record<string, { ok: boolean; error?: string }>> {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    if (this.dataSource) {
      try {
        await withTimeout(this.dataSource.query('SELECT 1'), 1_500);
        checks['postgres'] = { ok: true };
      } catch (e) {
        checks['postgres'] = { ok: false, error: (e as Error).message };
      }
    }
    checks['nats'] = (await this.bus.healthy(1_500)) ? { ok: true } : { ok: false, error: 'NATS not reachable' };
    return checks;
  }

  @Get('metrics')
  async scrape(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.render());
  }
}
