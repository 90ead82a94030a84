import { Inject, Injectable } from '@nestjs/common';
import { Metrics } from '@juggernaut/observability';
import { APP_CONFIG } from '@juggernaut/service-kit';
import OpenAI, { APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessage, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { RunnerEnv } from '../config';
import { sleep, TerminalTaskError } from '../handlers/task-handler';
import { parsePriceTable, type ModelPrice, type PriceTable } from './pricing';
import { isRetryableStatus, retryDelayMs } from './retry-policy';

export interface ModelReply {
  message: ChatCompletionMessage;
  /** As the provider reported it; undefined when it reported none. */
  usage?: { promptTokens: number; completionTokens: number };
  durationMs: number;
  retries: number;
}

/** The model endpoint could not be reached or kept failing: the task fails retryably, the runner carries on. */
export class ModelUnavailableError extends Error {}

/**
 * The chat model behind any OpenAI-compatible endpoint, through the `openai` SDK. Retries are
 * ours, not the SDK's, so that the wait honouring `retry-after` is aborted by the task's signal
 * (kill switch, cancel) instead of sleeping through it.
 */
@Injectable()
export class ModelClient {
  readonly configured: boolean;
  readonly prices: PriceTable;
  private readonly client?: OpenAI;
  private readonly byLevel: Record<string, string>;
  private readonly tokens;
  private readonly duration;

  constructor(@Inject(APP_CONFIG) private readonly config: RunnerEnv, metrics: Metrics) {
    this.configured = Boolean(config.OPENAI_BASE_URL || config.OPENAI_API_KEY);
    this.prices = parsePriceTable(config.AGENT_PRICES);
    this.byLevel = parseModelsByLevel(config.AGENT_MODELS_BY_LEVEL);
    if (this.configured) {
      this.client = new OpenAI({
        // Local servers (Ollama, vLLM, LM Studio) need no key, but the SDK insists on one.
        apiKey: config.OPENAI_API_KEY ?? 'no-key',
        ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
        maxRetries: 0,
        timeout: config.AGENT_MODEL_TIMEOUT_MS,
      });
    }
    this.tokens = metrics.counter('juggernaut_llm_tokens_total', 'LLM tokens as reported by the provider', ['model', 'kind']);
    this.duration = metrics.histogram('juggernaut_llm_request_duration_seconds', 'LLM request duration (each HTTP attempt)', ['model', 'outcome'],
      [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120]);
  }

  modelFor(level: number): string {
    return this.byLevel[String(level)] ?? this.config.JUGGERNAUT_MODEL;
  }

  priceOf(model: string): ModelPrice | undefined {
    return this.prices[model];
  }

  async complete(req: { model: string; messages: ChatCompletionMessageParam[]; tools: ChatCompletionTool[]; maxTokens: number; signal: AbortSignal }): Promise<ModelReply> {
    if (!this.client) throw new TerminalTaskError('no model configured');
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        const res = await this.client.chat.completions.create({
          model: req.model,
          messages: req.messages,
          max_tokens: req.maxTokens,
          ...(req.tools.length ? { tools: req.tools } : {}),
        }, { signal: req.signal });
        this.duration.observe({ model: req.model, outcome: 'ok' }, (performance.now() - t0) / 1000);
        const choice = res.choices[0];
        if (!choice) throw new ModelUnavailableError('the model answered with no choices');
        const usage = res.usage ? { promptTokens: res.usage.prompt_tokens, completionTokens: res.usage.completion_tokens } : undefined;
        if (usage) {
          this.tokens.inc({ model: req.model, kind: 'prompt' }, usage.promptTokens);
          this.tokens.inc({ model: req.model, kind: 'completion' }, usage.completionTokens);
        }
        return { message: choice.message, ...(usage ? { usage } : {}), durationMs: Math.round(performance.now() - started), retries: attempt - 1 };
      } catch (e) {
        if (req.signal.aborted || e instanceof APIUserAbortError) throw req.signal.reason ?? e;
        const status = e instanceof APIError ? e.status : undefined;
        this.duration.observe({ model: req.model, outcome: status ? String(status) : 'unreachable' }, (performance.now() - t0) / 1000);
        if (e instanceof ModelUnavailableError) throw e;
        if (!isRetryableStatus(status)) {
          throw new TerminalTaskError(`the model refused the request (${status}): ${(e as Error).message}`);
        }
        if (attempt > this.config.AGENT_MODEL_MAX_RETRIES) {
          throw new ModelUnavailableError(`model ${req.model} unavailable after ${attempt} attempt(s): ${status ?? ''} ${(e as Error).message}`.trim());
        }
        await sleep(retryDelayMs(attempt, e instanceof APIError ? e.headers : undefined), req.signal);
      }
    }
  }
}

function parseModelsByLevel(json: string | undefined): Record<string, string> {
  if (!json) return {};
  const parsed = JSON.parse(json) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('AGENT_MODELS_BY_LEVEL must be a JSON object such as {"5": "gpt-4.1"}');
  for (const [k, v] of Object.entries(parsed)) {
    if (!/^[1-5]$/.test(k) || typeof v !== 'string' || !v) throw new Error(`AGENT_MODELS_BY_LEVEL: "${k}" must be a level 1-5 mapped to a model name`);
  }
  return parsed as Record<string, string>;
}
