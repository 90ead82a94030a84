import { DatabaseEnv, Secret, ToInt } from '@juggernaut/config';
import { IsEmail, IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min } from 'class-validator';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class DevBotEnv extends DatabaseEnv {
  /** Worker id; in Kubernetes the pod name. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9._:-]+$/, { message: 'HOSTNAME must be a plain host or pod name' })
  HOSTNAME?: string;

  /** Autonomy level this worker claims `dev.change` tasks at (the type needs 4). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(5)
  DEVBOT_LEVEL = 4;

  /** Changes this process works on at once. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(64)
  DEVBOT_CONCURRENCY = 2;

  @ToInt()
  @IsInt()
  @Min(10)
  @Max(60_000)
  DEVBOT_POLL_INTERVAL_MS = 1_000;

  /** Longest gap between lease heartbeats (they go at a third of the lease when that is sooner). */
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(60_000)
  DEVBOT_HEARTBEAT_INTERVAL_MS = 5_000;

  /** How often this process announces itself to the worker registry. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  DEVBOT_PRESENCE_INTERVAL_MS = 5_000;

  /**
   * On SIGTERM, how long running changes may finish before their tasks are handed back (a change
   * handed back resumes elsewhere from its last recorded stage).
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  DEVBOT_DRAIN_MS = 20_000;

  /** Parent of the per-change clones (an emptyDir volume in Kubernetes). */
  @IsString()
  @IsNotEmptyPath('DEVBOT_WORKSPACE_ROOT')
  DEVBOT_WORKSPACE_ROOT = join(tmpdir(), 'juggernaut-devbot');

  /** Author rounds (edit, then checks) before a change whose checks keep failing is failed. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(20)
  DEVBOT_MAX_ATTEMPTS = 3;

  /** Model calls the author may make in one round before it must finish. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(500)
  DEVBOT_AUTHOR_MAX_STEPS = 30;

  /** Time limit of each check command. */
  @ToInt()
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  DEVBOT_CHECK_TIMEOUT_MS = 600_000;

  /**
   * The bubblewrap binary the checks run under (the system's when unset). Without a working sandbox
   * no check runs: the change fails with the reason.
   */
  @IsOptional()
  @IsString()
  @IsNotEmptyPath('DEVBOT_CHECK_BWRAP')
  DEVBOT_CHECK_BWRAP?: string;

  /** Memory of one check command (the cgroup's limit where there is one; each process's data size always). */
  @ToInt()
  @IsInt()
  @Min(64)
  @Max(1_048_576)
  DEVBOT_CHECK_MEMORY_MB = 2_048;

  /** Processes and threads of one check command. */
  @ToInt()
  @IsInt()
  @Min(8)
  @Max(100_000)
  DEVBOT_CHECK_MAX_PROCESSES = 512;

  /** CPU seconds each process of a check may use. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(86_400)
  DEVBOT_CHECK_CPU_SECONDS = 600;

  /** CPUs one check command may use at once (a cgroup CPU quota, where there is one). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(256)
  DEVBOT_CHECK_CPUS = 1;

  /** Bytes of check output kept (the tail) and sent back to the author. */
  @ToInt()
  @IsInt()
  @Min(1_024)
  @Max(1_000_000)
  DEVBOT_CHECK_OUTPUT_BYTES = 16_000;

  @IsString()
  @MaxLength(200)
  DEVBOT_GIT_AUTHOR_NAME = 'Juggernaut dev-bot';

  @IsEmail({ require_tld: false }, { message: 'DEVBOT_GIT_AUTHOR_EMAIL must be an email address' })
  DEVBOT_GIT_AUTHOR_EMAIL = 'dev-bot@juggernaut.local';

  /** GitHub token for repositories registered with the github forge; never given to checks or models. */
  @IsOptional()
  @IsString()
  @Secret()
  DEVBOT_GITHUB_TOKEN?: string;

  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'] },
    { message: 'DEVBOT_GITHUB_API_URL must be an http(s) URL' },
  )
  DEVBOT_GITHUB_API_URL?: string;

  // ---- The model (any OpenAI-compatible endpoint). With neither variable set, dev.change tasks are not claimed.

  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'] },
    { message: 'OPENAI_BASE_URL must be an http(s) URL such as http://localhost:11434/v1' },
  )
  OPENAI_BASE_URL?: string;

  @IsOptional()
  @IsString()
  @Secret()
  OPENAI_API_KEY?: string;

  /** The author's model. */
  @IsString()
  @MaxLength(200)
  JUGGERNAUT_MODEL = 'gpt-4o-mini';

  /** The reviewer's model (default: the author's). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  DEVBOT_REVIEW_MODEL?: string;

  /** Prices in minor units per million tokens, JSON (extends the built-in table), as for agent-runner. */
  @IsOptional()
  @IsString()
  AGENT_PRICES?: string;

  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'AGENT_CURRENCY must be an ISO 4217 code such as USD' })
  AGENT_CURRENCY = 'USD';

  /** Completion tokens allowed per model call (also what the budget reserves for the answer). */
  @ToInt()
  @IsInt()
  @Min(16)
  @Max(200_000)
  DEVBOT_MAX_TOKENS = 4_096;

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(10)
  AGENT_MODEL_MAX_RETRIES = 3;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  AGENT_MODEL_TIMEOUT_MS = 120_000;
}

function IsNotEmptyPath(name: string): PropertyDecorator {
  return Matches(/^\/\S*/, { message: `${name} must be an absolute path` });
}
