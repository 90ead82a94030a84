import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible HTTP server on 127.0.0.1 for tests, used through the real `openai` SDK.
 * It answers `POST /v1/chat/completions` from scripted steps and records every request, so a
 * test can assert what the runtime sent (and that it sent nothing). It is a stand-in for a
 * provider, never a model: every answer is one a test scripted.
 */
export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
}

export type FakeStep =
  /**
   * A completion. A request with `stream: true` gets it as server-sent chunks: the content in pieces of
   * `chunkSize` characters (default 8), `chunkDelayMs` apart, each tool call whole, then the finish
   * reason and, when the request asked for it (`stream_options.include_usage`), the usage.
   */
  | {
      kind: 'completion';
      message: FakeMessage;
      usage?: FakeUsage | null;
      finishReason?: string;
      delayMs?: number;
      model?: string;
      chunkSize?: number;
      chunkDelayMs?: number;
    }
  | { kind: 'error'; status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
  /** Accepts the connection and never answers (until the client gives up or aborts). */
  | { kind: 'hang' };

export interface FakeMessage {
  content: string | null;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
}

/** A chat message as the runtimes send it: text content (a tool's result is text too). */
export interface RecordedMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: FakeMessage['tool_calls'];
  tool_call_id?: string;
}

/** A tool offered to the model. */
export interface RecordedTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** A chat completion request as the `openai` SDK sends it: the fields the fake and the tests read, and the rest. */
export interface ChatRequestBody {
  model: string;
  messages: RecordedMessage[];
  tools?: RecordedTool[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [field: string]: unknown;
}

/** The fields of a request body the fake reads: a JSON object's own, none of anything else. */
const chatFields = (body: unknown): Partial<ChatRequestBody> =>
  typeof body === 'object' && body !== null ? (body as Partial<ChatRequestBody>) : {};

export interface RecordedRequest {
  path: string;
  method: string;
  headers: IncomingMessage['headers'];
  /**
   * The parsed JSON body (`undefined` when empty, the text when not JSON); a chat request's is a
   * ChatRequestBody. Still `any`: the agent suites read it unnarrowed (`body.tools.map(…)`,
   * `messages.find(…).content`); once they read it as a ChatRequestBody, this can be one too.
   */
  body: any;
  at: number;
  /** Set when the client hung up before the answer was sent (an aborted call). */
  aborted?: boolean;
}

type Responder = (req: RecordedRequest) => FakeStep | undefined;

/** A final answer from the model. */
export function answer(
  content: string,
  usage: FakeUsage | null = { prompt_tokens: 10, completion_tokens: 5 },
): FakeStep {
  return { kind: 'completion', message: { content }, usage, finishReason: 'stop' };
}

/** One or more tool calls. `args` objects are JSON-encoded; a string is sent as is (to script malformed JSON). */
export function toolCalls(
  calls: Array<{ name: string; args: unknown; id?: string }>,
  usage: FakeUsage | null = { prompt_tokens: 20, completion_tokens: 8 },
): FakeStep {
  return {
    kind: 'completion',
    message: {
      content: null,
      tool_calls: calls.map((c) => ({
        id: c.id ?? `call_${randomUUID().slice(0, 8)}`,
        type: 'function',
        function: { name: c.name, arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) },
      })),
    },
    usage,
    finishReason: 'tool_calls',
  };
}

export function toolCall(name: string, args: unknown, usage?: FakeUsage | null): FakeStep {
  return toolCalls([{ name, args }], usage);
}

export function httpError(
  status: number,
  headers: Record<string, string> = {},
  message = `fake error ${status}`,
): FakeStep {
  return { kind: 'error', status, headers, body: { error: { message, type: 'fake_error', code: null } } };
}

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  /** Scripts keyed by a marker found in the request's messages ('' matches every request). */
  private readonly queues = new Map<string, FakeStep[]>();
  private responder?: Responder;
  private readonly hanging = new Set<ServerResponse>();
  private readonly delays = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeOpenAI> {
    const server = createServer();
    const fake = new FakeOpenAI(server);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The base URL to give the SDK (`OPENAI_BASE_URL`). */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /**
   * Queues steps for requests whose messages contain `marker` (several tasks can then talk to
   * the server at once, each with its own script). Without a marker the steps serve any request.
   */
  script(steps: FakeStep[], marker = ''): this {
    this.queues.set(marker, [...(this.queues.get(marker) ?? []), ...steps]);
    return this;
  }

  /** Answers every request the scripts do not cover (e.g. an endless identical tool call). */
  fallback(responder: Responder): this {
    this.responder = responder;
    return this;
  }

  /** Chat requests whose messages contain the marker. */
  chatRequests(marker = ''): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        r.path.endsWith('/chat/completions') &&
        (!marker || JSON.stringify(chatFields(r.body).messages ?? []).includes(marker)),
    );
  }

  remaining(marker = ''): number {
    return this.queues.get(marker)?.length ?? 0;
  }

  reset(): void {
    this.requests.length = 0;
    this.queues.clear();
    this.responder = undefined;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const t of this.delays) clearTimeout(t);
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const recorded: RecordedRequest = {
      path: req.url ?? '',
      method: req.method ?? '',
      headers: req.headers,
      body,
      at: Date.now(),
    };
    this.requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) recorded.aborted = true;
    });

    if (req.method === 'GET' && recorded.path.endsWith('/models')) {
      return this.json(res, 200, {
        object: 'list',
        data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }],
      });
    }
    if (req.method !== 'POST' || !recorded.path.endsWith('/chat/completions')) {
      return this.json(res, 404, { error: { message: `no route ${req.method} ${recorded.path}` } });
    }
    const step = this.next(recorded);
    if (!step)
      return this.json(res, 500, {
        error: { message: 'fake-openai: no scripted response left for this request', type: 'fake_error' },
      });
    if (step.kind === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (step.delayMs) {
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          this.delays.delete(t);
          r();
        }, step.delayMs);
        this.delays.add(t);
        // A client that hangs up ends the wait: nothing is left to answer.
        res.once('close', () => {
          clearTimeout(t);
          this.delays.delete(t);
          r();
        });
      });
    }
    if (res.destroyed) return;
    if (step.kind === 'error')
      return this.json(res, step.status, step.body ?? { error: { message: 'error' } }, step.headers);
    const usage = step.usage === null ? undefined : (step.usage ?? { prompt_tokens: 10, completion_tokens: 5 });
    const chat = chatFields(body);
    if (chat.stream === true) return this.stream(res, step, chat, usage);
    this.json(res, 200, {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: step.model ?? chat.model ?? 'fake-model',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', refusal: null, ...step.message },
          finish_reason: step.finishReason ?? 'stop',
          logprobs: null,
        },
      ],
      ...(usage
        ? { usage: { ...usage, total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens } }
        : {}),
    });
  }

  /** A completion as the chunks of a streamed answer (`data: {…}` lines, then `data: [DONE]`). */
  private async stream(
    res: ServerResponse,
    step: Extract<FakeStep, { kind: 'completion' }>,
    chat: Partial<ChatRequestBody>,
    usage: FakeUsage | undefined,
  ): Promise<void> {
    const base = {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: step.model ?? chat.model ?? 'fake-model',
    };
    const chunks: unknown[] = [
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ];
    const text = step.message.content ?? '';
    const size = Math.max(1, step.chunkSize ?? 8);
    for (let i = 0; i < text.length; i += size)
      chunks.push({
        ...base,
        choices: [{ index: 0, delta: { content: text.slice(i, i + size) }, finish_reason: null }],
      });
    (step.message.tool_calls ?? []).forEach((c, index) =>
      chunks.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index, ...c }] }, finish_reason: null }] }),
    );
    chunks.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: step.finishReason ?? 'stop' }] });
    if (usage && chat.stream_options?.include_usage) {
      chunks.push({
        ...base,
        choices: [],
        usage: { ...usage, total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // One wake-up for whichever wait is on when the client hangs up.
    let wake: (() => void) | undefined;
    res.once('close', () => wake?.());
    for (const chunk of chunks) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      if (step.chunkDelayMs) {
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            this.delays.delete(t);
            r();
          }, step.chunkDelayMs);
          this.delays.add(t);
          wake = () => {
            clearTimeout(t);
            this.delays.delete(t);
            r();
          };
        });
      }
    }
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  }

  private next(req: RecordedRequest): FakeStep | undefined {
    const messages = JSON.stringify(chatFields(req.body).messages ?? []);
    for (const [marker, queue] of this.queues) {
      if (marker && messages.includes(marker) && queue.length) return queue.shift();
    }
    const shared = this.queues.get('');
    if (shared?.length) return shared.shift();
    return this.responder?.(req);
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
}
