import { BaseEnv, Secret, ToInt, ToList } from '@juggernaut/config';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsJSON,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

/** agent-runner is stateless: no database, only NATS. */
export class RunnerEnv extends BaseEnv {
  /** Worker id; in Kubernetes the pod name. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9._:-]+$/, { message: 'HOSTNAME must be a plain host or pod name' })
  HOSTNAME?: string;

  /** Autonomy level of this worker: 1 conversational … 5 organizations. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(5)
  RUNNER_LEVEL = 3;

  @ToList()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  RUNNER_CAPABILITIES: string[] = [];

  /** Tasks this process runs at once. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  RUNNER_CONCURRENCY = 8;

  /** Fallback poll when no wake-up arrives. */
  @ToInt()
  @IsInt()
  @Min(10)
  @Max(60_000)
  RUNNER_POLL_INTERVAL_MS = 1_000;

  /**
   * How long a claim that finds nothing may wait at the dispatcher for work (answered the moment a
   * task is submitted: one hop); capped at the poll interval and a quarter of the claim timeout.
   * 0: claims are answered at once and the runner waits for a wake-up signal instead.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(30_000)
  RUNNER_CLAIM_WAIT_MS = 1_000;

  /** How often held leases are extended; keep well under the shortest lease. */
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(60_000)
  RUNNER_HEARTBEAT_INTERVAL_MS = 5_000;

  /** How often the worker announces itself to the registry. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  RUNNER_PRESENCE_INTERVAL_MS = 5_000;

  /** On SIGTERM, how long running tasks may finish before their leases are released. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  RUNNER_DRAIN_MS = 20_000;

  // ---- The model (any OpenAI-compatible endpoint). With neither variable set, agent tasks wait blocked.

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

  /** Default chat model. */
  @IsString()
  @MaxLength(200)
  JUGGERNAUT_MODEL = 'gpt-4o-mini';

  /** Model per autonomy level, JSON: {"5": "gpt-4.1"}; levels not listed use JUGGERNAUT_MODEL. */
  @IsOptional()
  @IsJSON({ message: 'AGENT_MODELS_BY_LEVEL must be JSON such as {"5": "gpt-4.1"}' })
  AGENT_MODELS_BY_LEVEL?: string;

  /** Prices in minor units per million tokens, JSON: {"llama3": {"prompt": 0, "completion": 0}} (extends the built-in table). */
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
  AGENT_MAX_TOKENS = 1_024;

  /** Model calls per task before it stops with `max_steps` (a task payload may ask for fewer). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1_000)
  AGENT_MAX_STEPS = 20;

  /** Active wall-clock time per task across resumes before it stops with `timeout`. */
  @ToInt()
  @IsInt()
  @Min(1_000)
  @Max(86_400_000)
  AGENT_TIMEOUT_MS = 600_000;

  /** Retries of a model call on 429, 5xx and connection errors (retry-after is honoured). */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(10)
  AGENT_MODEL_MAX_RETRIES = 3;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  AGENT_MODEL_TIMEOUT_MS = 60_000;

  /** Invalid tool calls in a row sent back to the model (with the schema) before the run stops. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(20)
  AGENT_TOOL_ARG_RETRIES = 2;

  /** Loop detection: the same call with the same result this many times, or this many steps with nothing new. */
  @ToInt()
  @IsInt()
  @Min(2)
  @Max(100)
  AGENT_LOOP_REPEATS = 3;

  @ToInt()
  @IsInt()
  @Min(2)
  @Max(100)
  AGENT_LOOP_STALE_STEPS = 6;

  // ---- Conversations (conversation.reply)

  /**
   * The model context a conversation may fill, in tokens (estimated from the text's size, erring
   * high): past it, the oldest turns are summarised (a stored summary) and only the newest sent as
   * they are. The system message and the tools take about 3,300 of it. Keep it under the model's
   * context window less AGENT_MAX_TOKENS (lower it for a small local model with an 8k context).
   */
  @ToInt()
  @IsInt()
  @Min(500)
  @Max(2_000_000)
  AGENT_CONVERSATION_CONTEXT_TOKENS = 12_000;

  /** Model calls an answer may take (tool calls and drafts sent back included). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  AGENT_CONVERSATION_MAX_STEPS = 8;

  // ---- Tools

  /** host:port pairs http_fetch may reach even though they resolve to private addresses (tests, trusted local services). */
  @ToList()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(/^[^\s:]+:\d+$/, { each: true, message: 'AGENT_HTTP_ALLOW_HOSTS must be host:port pairs' })
  AGENT_HTTP_ALLOW_HOSTS: string[] = [];

  @ToInt()
  @IsInt()
  @Min(1_024)
  @Max(50_000_000)
  AGENT_HTTP_MAX_BYTES = 1_000_000;

  @ToInt()
  @IsInt()
  @Min(100)
  @Max(120_000)
  AGENT_HTTP_TIMEOUT_MS = 10_000;

  /** Parent of the per-task scratch directories (the only place tools may write files). */
  @IsOptional()
  @IsString()
  AGENT_SCRATCH_DIR?: string;

  /** Sources opportunity.scan reads, JSON: [{"name": "hn", "url": "https://…/feed.json", "kind": "json" | "rss"}]. */
  @IsOptional()
  @IsJSON({ message: 'AGENT_SCAN_SOURCES must be a JSON array of {name, url, kind}' })
  AGENT_SCAN_SOURCES?: string;
}
