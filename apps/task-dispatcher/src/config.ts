import { DatabaseEnv, ToInt } from '@juggernaut/config';
import { IsInt, Max, Min } from 'class-validator';

export class DispatcherEnv extends DatabaseEnv {
  /** Default lease when a task type sets none. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(86_400)
  DISPATCH_LEASE_SECONDS = 30;

  /** Priority aging: one priority step is worth this much waiting time. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(86_400)
  DISPATCH_AGING_SECONDS = 60;

  /** How often expired leases are looked for. */
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(60_000)
  DISPATCH_REAPER_INTERVAL_MS = 1_000;

  /**
   * After the dispatcher starts, or regains its database or NATS, it waits this long before it
   * reaps expired leases: runners that could not heartbeat through the outage get to extend their
   * leases (and report their results) first, so an infrastructure fault burns no attempt. Keep it
   * above the runners' claim timeout (5 s): a runner whose claim went unanswered hands that claim's
   * leases back once it has waited that long.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  DISPATCH_REAPER_GRACE_MS = 10_000;

  /** Retry backoff: base × 2^(attempt-1), jittered, capped. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  DISPATCH_RETRY_BASE_MS = 1_000;

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  DISPATCH_RETRY_MAX_MS = 300_000;

  /** Succeeded and cancelled tasks (with their history and idempotency keys) are deleted this many hours after they finished. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(87_600)
  DISPATCH_RETENTION_HOURS = 720;

  /** Dead tasks are deleted this many hours after they died. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(87_600)
  DISPATCH_RETENTION_DEAD_HOURS = 2_160;

  /** How often retention runs. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(86_400_000)
  DISPATCH_RETENTION_INTERVAL_MS = 600_000;

  /** Tasks deleted per retention transaction. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  DISPATCH_RETENTION_BATCH = 1_000;

  /** Longest the run-at timer sleeps before looking again (covers tasks created by other replicas). */
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(600_000)
  DISPATCH_TIMER_MAX_MS = 1_000;
}
