import { BaseEnv, ToInt, ToList } from '@juggernaut/config';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** agent-runner is stateless: no database, only NATS. */
export class RunnerEnv extends BaseEnv {
  /** Worker id; in Kubernetes the pod name. */
  @IsOptional() @IsString() @MaxLength(200) @Matches(/^[A-Za-z0-9._:-]+$/, { message: 'HOSTNAME must be a plain host or pod name' })
  HOSTNAME?: string;

  /** Autonomy level of this worker: 1 conversational … 5 organizations. */
  @ToInt() @IsInt() @Min(1) @Max(5)
  RUNNER_LEVEL = 3;

  @ToList() @IsArray() @ArrayMaxSize(100) @IsString({ each: true })
  RUNNER_CAPABILITIES: string[] = [];

  /** Tasks this process runs at once. */
  @ToInt() @IsInt() @Min(1) @Max(1000)
  RUNNER_CONCURRENCY = 8;

  /** Fallback poll when no wake-up arrives. */
  @ToInt() @IsInt() @Min(10) @Max(60_000)
  RUNNER_POLL_INTERVAL_MS = 1_000;

  /** How often held leases are extended; keep well under the shortest lease. */
  @ToInt() @IsInt() @Min(50) @Max(60_000)
  RUNNER_HEARTBEAT_INTERVAL_MS = 5_000;

  /** How often the worker announces itself to the registry. */
  @ToInt() @IsInt() @Min(100) @Max(60_000)
  RUNNER_PRESENCE_INTERVAL_MS = 5_000;

  /** On SIGTERM, how long running tasks may finish before their leases are released. */
  @ToInt() @IsInt() @Min(0) @Max(600_000)
  RUNNER_DRAIN_MS = 20_000;
}
