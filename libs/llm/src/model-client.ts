import type { Metrics } from '@juggernaut/observability';
import OpenAI, { APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletionMessage,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { parsePriceTable, type ModelPrice, type PriceTable } from './pricing';
import { isRetryableStatus, retryDelayMs } from './retry-policy';

/** How to reach the model: any OpenAI-compatible endpoint. With neither baseUrl nor apiKey, no model is configured. */
export interface ModelClientOptions {
  baseUrl?: string;
  apiKey?: string;
  /** Default chat model. */
  model: string;
  /** Model per autonomy level, JSON: {"5": "gpt-4.1"}; levels not listed use `model`. */
  modelsByLevel?: string;
  /** Prices in minor units per million tokens, JSON (extends the built-in table). */
  prices?: string;
  /** Retries of a call on 429, 5xx and connection errors. */
  maxRetries: number;
  timeoutMs: number;
}

export interface ModelReply {
  message: ChatCompletionMessage;
  /** As the provider reported it; undefined when it reported none. */
  usage?: { promptTokens: number; completionTokens: number };
  durationMs: number;
  retries: number;
}

/** The model endpoint could not be reached or kept failing: the task fails retryably, the runner carries on. */
export class ModelUnavailableError extends Error {}

/** The model refused the request (or none is configured): retrying cannot help, the task fails terminally. */
export class ModelRefusedError extends Error {
  readonly terminal = true;
}

/**
 * The chat model behind any OpenAI-compatible endpoint, through the `openai` SDK. Retries are
 * ours, not the SDK's, so that the wait honouring `retry-after` is aborted by the task's signal
 * (kill switch, cancel) instead of sleeping through it.
 */
export class ModelClient {
  readonly configured: boolean;
  readonly prices: PriceTable;
  private readonly client?: OpenAI;
  private readonly byLevel: Record<string, string>;
  private readonly tokens;
  private readonly duration;

  constructor(
    private readonly options: ModelClientOptions,
    metrics: Metrics,
  ) {
    this.configured = Boolean(options.baseUrl || options.apiKey);
    this.prices = parsePriceTable(options.prices);
    this.byLevel = parseModelsByLevel(options.modelsByLevel);
    if (this.configured) {
      this.client = new OpenAI({
        // Local servers (Ollama, vLLM, LM Studio) need no key, but the SDK insists on one.
        apiKey: options.apiKey ?? 'no-key',
        ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
        maxRetries: 0,
        timeout: options.timeoutMs,
      });
    }
    this.tokens = metrics.counter('juggernaut_llm_tokens_total', 'LLM tokens as reported by the provider', [
      'model',
      'kind',
    ]);
    this.duration = metrics.histogram(
      'juggernaut_llm_request_duration_seconds',
      'LLM request duration (each HTTP attempt)',
      ['model', 'outcome'],
      [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    );
  }

  modelFor(level: number): string {
    return this.byLevel[String(level)] ?? this.options.model;
  }

  priceOf(model: string): ModelPrice | undefined {
    return this.prices[model];
  }

  /**
   * One chat completion, retried on 408/409/429/5xx and lost connections. With `stream`, the answer
   * is streamed and its text handed to `stream.text` as it comes (usage asked for in the last
   * chunk); a stream that breaks after some text is retried from the start, after `stream.restart`
   * says so, so whoever shows the text can drop what came before.
   */
  async complete(req: {
    model: string;
    messages: ChatCompletionMessageParam[];
    tools: ChatCompletionTool[];
    maxTokens: number;
    signal: AbortSignal;
    stream?: { text(delta: string): void; restart(reason: string): void };
  }): Promise<ModelReply> {
    if (!this.client) throw new ModelRefusedError('no model configured');
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      const progress = { streamed: false };
      try {
        const { message, usage } = req.stream ? await this.streamed(req, req.stream, progress) : await this.whole(req);
        this.duration.observe({ model: req.model, outcome: 'ok' }, (performance.now() - t0) / 1000);
        if (usage) {
          this.tokens.inc({ model: req.model, kind: 'prompt' }, usage.promptTokens);
          this.tokens.inc({ model: req.model, kind: 'completion' }, usage.completionTokens);
        }
        return {
          message,
          ...(usage ? { usage } : {}),
          durationMs: Math.round(performance.now() - started),
          retries: attempt - 1,
        };
      } catch (e) {
        if (req.signal.aborted || e instanceof APIUserAbortError) throw req.signal.reason ?? e;
        const status = e instanceof APIError ? e.status : undefined;
        this.duration.observe(
          { model: req.model, outcome: status ? String(status) : 'unreachable' },
          (performance.now() - t0) / 1000,
        );
        if (e instanceof ModelUnavailableError) throw e;
        if (!isRetryableStatus(status)) {
          throw new ModelRefusedError(`the model refused the request (${status}): ${(e as Error).message}`);
        }
        if (attempt > this.options.maxRetries) {
          throw new ModelUnavailableError(
            `model ${req.model} unavailable after ${attempt} attempt(s): ${status ?? ''} ${(e as Error).message}`.trim(),
          );
        }
        if (progress.streamed)
          req.stream?.restart(`the model's answer broke off (${(e as Error).message}); it is asked again`);
        await sleep(retryDelayMs(attempt, e instanceof APIError ? e.headers : undefined), req.signal);
      }
    }
  }

  private async whole(req: {
    model: string;
    messages: ChatCompletionMessageParam[];
    tools: ChatCompletionTool[];
    maxTokens: number;
    signal: AbortSignal;
  }): Promise<Completion> {
    const res = await this.client!.chat.completions.create(
      {
        model: req.model,
        messages: req.messages,
        max_tokens: req.maxTokens,
        ...(req.tools.length ? { tools: req.tools } : {}),
      },
      { signal: req.signal },
    );
    const choice = res.choices[0];
    if (!choice) throw new ModelUnavailableError('the model answered with no choices');
    const usage = res.usage
      ? { promptTokens: res.usage.prompt_tokens, completionTokens: res.usage.completion_tokens }
      : undefined;
    return { message: choice.message, ...(usage ? { usage } : {}) };
  }

  /** The same call streamed: text deltas go out as they come; tool calls and usage are put together from the chunks. */
  private async streamed(
    req: {
      model: string;
      messages: ChatCompletionMessageParam[];
      tools: ChatCompletionTool[];
      maxTokens: number;
      signal: AbortSignal;
    },
    out: { text(delta: string): void },
    progress: { streamed: boolean },
  ): Promise<Completion> {
    const stream = await this.client!.chat.completions.create(
      {
        model: req.model,
        messages: req.messages,
        max_tokens: req.maxTokens,
        ...(req.tools.length ? { tools: req.tools } : {}),
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: req.signal },
    );
    let content = '';
    let sawChoice = false;
    let usage: Completion['usage'];
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    for await (const chunk of stream) {
      if (chunk.usage)
        usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      sawChoice = true;
      const delta = choice.delta;
      if (delta?.content) {
        content += delta.content;
        progress.streamed = true;
        out.text(delta.content);
      }
      for (const c of delta?.tool_calls ?? []) {
        const call = calls.get(c.index) ?? { id: '', name: '', arguments: '' };
        if (c.id) call.id = c.id;
        if (c.function?.name) call.name += c.function.name;
        if (c.function?.arguments) call.arguments += c.function.arguments;
        calls.set(c.index, call);
      }
    }
    if (!sawChoice) throw new ModelUnavailableError('the model answered with no choices');
    const toolCalls = [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, c]) => ({
        id: c.id || `call_${i}`,
        type: 'function' as const,
        function: { name: c.name, arguments: c.arguments },
      }));
    const message: ChatCompletionMessage = {
      role: 'assistant',
      content: content || null,
      refusal: null,
      ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
    };
    return { message, ...(usage ? { usage } : {}) };
  }
}

interface Completion {
  message: ChatCompletionMessage;
  usage?: { promptTokens: number; completionTokens: number };
}

function parseModelsByLevel(json: string | undefined): Record<string, string> {
  if (!json) return {};
  const parsed = JSON.parse(json) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('AGENT_MODELS_BY_LEVEL must be a JSON object such as {"5": "gpt-4.1"}');
  for (const [k, v] of Object.entries(parsed)) {
    if (!/^[1-5]$/.test(k) || typeof v !== 'string' || !v)
      throw new Error(`AGENT_MODELS_BY_LEVEL: "${k}" must be a level 1-5 mapped to a model name`);
  }
  return parsed as Record<string, string>;
}

/** Resolves after `ms`, or rejects as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
