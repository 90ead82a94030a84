import { DatabaseEnv, Secret, ToInt } from '@juggernaut/config';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

export class GovernanceEnv extends DatabaseEnv {
  /** Bootstrap admin API key; when unset and no admin key exists, one is generated and printed once. */
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'JUGGERNAUT_ADMIN_KEY must be at least 24 characters' })
  @Secret()
  JUGGERNAUT_ADMIN_KEY?: string;

  /** A worker whose heartbeats stop for this long is marked offline. */
  @ToInt()
  @IsInt()
  @Min(300)
  @Max(3_600_000)
  JUGGERNAUT_WORKER_SILENT_MS = 15_000;

  /** How often pending approvals past their time are expired. */
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(60_000)
  JUGGERNAUT_APPROVAL_SWEEP_MS = 1_000;

  /** Requests per second each API key may make on average (token bucket refill rate), per replica. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  JUGGERNAUT_RATE_LIMIT_PER_SECOND = 50;

  /** Requests an API key may make at once before it is slowed to the average rate (bucket size). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  JUGGERNAUT_RATE_LIMIT_BURST = 200;

  /**
   * Requests per second one client address may make without a valid API key (none, malformed,
   * unknown, revoked or expired), per replica; each costs the API-key lookup a valid key costs.
   */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  JUGGERNAUT_RATE_LIMIT_UNAUTH_PER_SECOND = 1;

  /** Requests without a valid API key one address may make at once before it is slowed to the rate above. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  JUGGERNAUT_RATE_LIMIT_UNAUTH_BURST = 30;

  /**
   * Proxies in front of governance-api whose X-Forwarded-For is trusted for the client address
   * (Express "trust proxy" hop count). 0: the address is the TCP peer's. Behind an ingress, set it,
   * or every caller shares the ingress's address and its limit of unauthenticated calls.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(10)
  JUGGERNAUT_TRUSTED_PROXY_HOPS = 0;

  /** How often the monitor evaluates its conditions (one replica at a time). */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  JUGGERNAUT_MONITOR_INTERVAL_MS = 15_000;

  /** A running task whose lease expired this many seconds ago is stuck (the reaper should have taken it). */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(86_400)
  JUGGERNAUT_ALERT_STUCK_AFTER_S = 60;

  /** Alert when the oldest ready task has waited longer than this many seconds. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(604_800)
  JUGGERNAUT_ALERT_QUEUE_AGE_S = 300;

  /** The window (seconds) over which failures, error rate and dead letters are counted. */
  @ToInt()
  @IsInt()
  @Min(10)
  @Max(86_400)
  JUGGERNAUT_ALERT_WINDOW_S = 600;

  /** Failed or dead tasks of one worker within the window that make it "failing repeatedly". */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  JUGGERNAUT_ALERT_WORKER_FAILURES = 5;

  /** How long (seconds) a ledger conflict stays alerted after its last dead letter. */
  @ToInt()
  @IsInt()
  @Min(10)
  @Max(604_800)
  JUGGERNAUT_ALERT_LEDGER_CONFLICT_S = 86_400;

  /** Dead letters within the window that count as "rising". */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  JUGGERNAUT_ALERT_DEAD_LETTERS = 10;

  /** Share of finished tasks that failed within the window (percent) that counts as an error spike. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  JUGGERNAUT_ALERT_ERROR_RATE_PCT = 50;

  /** Finished tasks needed in the window before the error rate is judged. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  JUGGERNAUT_ALERT_ERROR_MIN_TASKS = 10;

  /** Spend today above this percentage of the pro-rata daily cap is burning too fast. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(10_000)
  JUGGERNAUT_ALERT_SPEND_BURN_PCT = 150;

  /**
   * The signing secret of the Stripe webhook endpoint (`whsec_…`, from the Stripe dashboard). Without
   * it `POST /api/v1/webhooks/stripe` answers 404.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'STRIPE_WEBHOOK_SECRET must be the endpoint secret (whsec_…)' })
  @Secret()
  STRIPE_WEBHOOK_SECRET?: string;

  /** How old a webhook signature's timestamp may be (Stripe's default tolerance is 300 s). */
  @ToInt()
  @IsInt()
  @Min(10)
  @Max(3_600)
  STRIPE_WEBHOOK_TOLERANCE_S = 300;

  /**
   * The key generic webhook sources' signing secrets are encrypted with (AES-256-GCM): 32 random
   * bytes as 64 hex digits or base64 (`openssl rand -hex 32`). Without it no generic source can be
   * created. Changing it makes the stored secrets unreadable: create the sources again.
   */
  @IsOptional()
  @IsString()
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=?)$/, {
    message: 'JUGGERNAUT_WEBHOOK_KEY must be 32 bytes as 64 hex digits or base64 (openssl rand -hex 32)',
  })
  @Secret()
  JUGGERNAUT_WEBHOOK_KEY?: string;

  /** Webhook deliveries each client address may make per second on average, per replica (signed or not). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  JUGGERNAUT_WEBHOOK_RATE_PER_SECOND = 50;

  /** Webhook deliveries one address may make at once before it is slowed to the rate above. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  JUGGERNAUT_WEBHOOK_RATE_BURST = 500;

  /** Largest webhook body accepted (413 above it). */
  @ToInt()
  @IsInt()
  @Min(1_024)
  @Max(900_000)
  JUGGERNAUT_WEBHOOK_MAX_BYTES = 512 * 1024;

  /**
   * How long `POST /api/v1/conversations/:id/messages` waits for the answer (JSON or a server-sent
   * event stream) before it answers 202 with where to read it; the answer is written on regardless.
   */
  @ToInt()
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  JUGGERNAUT_CONVERSATION_WAIT_MS = 120_000;
}
