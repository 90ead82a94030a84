import { Inject, Injectable } from '@nestjs/common';
import { type AgentStopReason, type ApprovalV1, Subjects } from '@juggernaut/contracts';
import { ModelClient, reservationMinor, Spend } from '@juggernaut/llm';
import { Bus } from '@juggernaut/messaging';
import { Metrics, redact, redactString } from '@juggernaut/observability';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import { createHash } from 'node:crypto';
import type {
  ChatCompletionMessage,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { Logger } from 'pino';
import type { RunnerEnv } from '../config';
import { BlockTaskError, type TaskContext, TerminalTaskError } from '../handlers/task-handler';
import { PolicyState } from '../policy/policy-state';
import { ArgsValidator } from '../tools/args-validator';
import { type AgentTool, type JsonSchema, ToolDeniedError } from '../tools/tool';
import {
  answerJson,
  answerRetryPrompt,
  approvalVerdict,
  budgetLeftMinor,
  budgetStop,
  gateToolCall,
  invalidStreakStop,
  maxStepsFor,
  stepCostMinor,
  type Stop,
  stopBeforeStep,
  timeoutStop,
  truncateToolResult,
} from './agent-rules';
import { type AgentState, agentStateOf, newAgentState, pendingToolCalls } from './agent-state';
import { argsHash } from './canonical-json';
import { recordStep } from './loop-detector';
import { StepLog } from './step-log';

export interface AgentSpec {
  system: string;
  /** The task in natural language; redacted before the model sees it. */
  user: string;
  /** Tools offered; each call is still checked against the worker's level and the policy. */
  tools: AgentTool[];
  /** When set, the final answer must be JSON valid against it. */
  outputSchema?: JsonSchema;
  /**
   * Checks beyond the schema (a plan's graph, its budget), or of a plain-text answer when there is
   * no schema (what it cites); given the conversation so far. A message is sent back to the model
   * like a schema error.
   */
  checkAnswer?: (value: unknown, messages: readonly ChatCompletionMessageParam[]) => string | null;
  maxSteps?: number;
  /** Saved beside the conversation in every checkpoint (e.g. the feed items a scan is scoring). */
  keep?: Record<string, unknown>;
  /** Earlier turns of a conversation, placed between the system message and `user`. */
  history?: ChatCompletionMessageParam[];
  /** Checkpoint key of this run's state (`agent` by default): a task that makes two runs, one after the other, keeps each resumable. */
  stateKey?: string;
  /** Model calls an earlier run of the same task made: this run's steps are numbered after them, so reservation, cost and log ids stay unique. */
  stepsBefore?: number;
  /** The model is called streaming, and the text it writes is handed over as it comes (`restart`: a broken stream is asked again). */
  stream?: { text(step: number, delta: string): void; restart(step: number, reason: string): void };
  /** Told of each tool call's outcome as the model will see it. */
  onToolResult?: (r: { step: number; tool: string; outcome: ToolOutcome; content: string }) => void;
  /**
   * A call of a tool that is not offered: the refusal the model is sent instead of "no such tool"
   * (a tool that would change something, in a read-only run). Logged and counted as `refused`.
   */
  refuseTool?: (name: string, args: string) => string | undefined;
  /**
   * False: the execution log says which model and tool calls were made and how they went, but not
   * what the tools returned or the model wrote (content meant for one caller, while every role may
   * read execution logs).
   */
  logContent?: boolean;
}

export type ToolOutcome = 'ok' | 'error' | 'denied' | 'approval' | 'refused';

export interface AgentRunResult {
  stopReason: AgentStopReason;
  detail?: string;
  answer?: unknown;
  steps: number;
  tokens: { prompt: number; completion: number };
  costMinor: number;
  currency: string;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/**
 * The LLM tool loop. Each step reserves budget, calls the model, settles and records the cost,
 * runs the tool calls it asked for (validated, authorised, approved where the policy says so),
 * logs everything and checkpoints the conversation, so a run survives the runner that started it.
 * It always ends with an explicit stop reason.
 */
@Injectable()
export class AgentLoop {
  private readonly validator = new ArgsValidator();
  private readonly toolCalls;
  private readonly runs;

  constructor(
    private readonly model: ModelClient,
    private readonly spend: Spend,
    private readonly steps: StepLog,
    private readonly policy: PolicyState,
    private readonly bus: Bus,
    @Inject(APP_CONFIG) private readonly config: RunnerEnv,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.toolCalls = metrics.counter('juggernaut_tool_calls_total', 'Agent tool calls by outcome', ['tool', 'outcome']);
    this.runs = metrics.counter('juggernaut_agent_runs_total', 'Agent runs by how they ended', ['type', 'stop_reason']);
  }

  async run(spec: AgentSpec, ctx: TaskContext): Promise<AgentRunResult> {
    const key = spec.stateKey ?? 'agent';
    const resumed = agentStateOf(ctx.task.checkpoint, key);
    const state =
      resumed ?? newAgentState(spec.system, redactString(spec.user), spec.history ?? [], spec.stepsBefore ?? 0);
    const began = Date.now();
    const activeBefore = state.activeMs;
    const elapsed = () => activeBefore + (Date.now() - began);
    const save = async () => {
      state.activeMs = elapsed();
      await ctx.checkpoint({ ...(spec.keep ?? {}), [key]: state });
    };
    const maxSteps = maxStepsFor(spec.maxSteps, this.config.AGENT_MAX_STEPS);
    // The wall-clock limit aborts a model or tool call in flight, not only between steps.
    const timeLeft = Math.max(0, this.config.AGENT_TIMEOUT_MS - elapsed());
    const timeout = AbortSignal.timeout(Math.max(1, timeLeft));
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const stop = (reason: AgentStopReason, detail?: string, answer?: unknown) =>
      this.finish(ctx, state, reason, detail, answer);

    try {
      if (resumed) await this.reconcile(ctx, state);
      const tools = new Map(spec.tools.map((t) => [t.name, t]));
      // Calls the model asked for before the run stopped (a crash, an approval) come first.
      const first = await this.runToolCalls(spec, ctx, state, tools, signal, save);
      if (first) return await stop(first.reason, first.detail);

      for (;;) {
        const due = stopBeforeStep({
          made: state.step - (state.base ?? 0),
          maxSteps,
          timedOut: timeLeft <= 0 || timeout.aborted,
          timeoutMs: this.config.AGENT_TIMEOUT_MS,
        });
        if (due) return await stop(due.reason, due.detail);
        const reply = await this.modelStep(spec, ctx, state, tools, signal, save);
        if ('refused' in reply) return await stop(reply.refused.reason, reply.refused.detail);
        const calls = reply.tool_calls ?? [];
        if (calls.length === 0) {
          const final = this.checkAnswer(spec, reply.content ?? '', state.messages);
          if (final.ok) {
            await save();
            return await stop('completed', undefined, final.value);
          }
          state.invalidStreak++;
          const looping = invalidStreakStop(state.invalidStreak, this.config.AGENT_TOOL_ARG_RETRIES, final.error);
          if (looping) return await stop(looping.reason, looping.detail);
          state.messages.push({ role: 'user', content: answerRetryPrompt(final.error, spec.outputSchema) });
          await save();
          continue;
        }
        await save();
        const outcome = await this.runToolCalls(spec, ctx, state, tools, signal, save);
        if (outcome) return await stop(outcome.reason, outcome.detail);
      }
    } catch (e) {
      if (ctx.signal.aborted) {
        await this.finish(
          ctx,
          state,
          'cancelled',
          String((ctx.signal.reason as Error)?.message ?? ctx.signal.reason ?? 'aborted'),
        );
        throw ctx.signal.reason ?? e;
      }
      if (timeout.aborted) {
        const late = timeoutStop(this.config.AGENT_TIMEOUT_MS);
        return await stop(late.reason, late.detail);
      }
      throw e;
    }
  }

  /** One model call with its money: reserve (or stop), intent, call, settle, record, log. */
  private async modelStep(
    spec: AgentSpec,
    ctx: TaskContext,
    state: AgentState,
    tools: Map<string, AgentTool>,
    signal: AbortSignal,
    save: () => Promise<void>,
  ): Promise<ChatCompletionMessage | { refused: Stop }> {
    const model = this.model.modelFor(ctx.level);
    const price = this.model.priceOf(model);
    if (!price)
      throw new TerminalTaskError(
        `no price for model "${model}": add it to AGENT_PRICES (minor units per million tokens)`,
      );
    const offered = this.offeredTools(tools, ctx.level);
    const step = state.step + 1;
    const maxTokens = this.config.AGENT_MAX_TOKENS;
    const estimate = reservationMinor(
      price,
      Buffer.byteLength(JSON.stringify({ m: state.messages, t: offered })),
      maxTokens,
    );
    const reservationId = `llm:${ctx.task.id}:${step}`;
    const reservation = await this.spend.reserve(ctx.task, ctx.workerId, ctx.level, reservationId, estimate);
    if (!reservation.granted) return { refused: budgetStop(reservation.reason, estimate, this.spend.currency) };
    state.inflight = { kind: 'model', step, reservationId, reservedMinor: estimate };
    state.step = step;
    await save();
    let reply;
    try {
      const stream = spec.stream;
      reply = await this.model.complete({
        model,
        messages: state.messages,
        tools: offered,
        maxTokens,
        signal,
        ...(stream
          ? {
              stream: {
                text: (d: string) => stream.text(step, d),
                restart: (why: string) => stream.restart(step, why),
              },
            }
          : {}),
      });
    } catch (e) {
      // A failed call was not billed: free the reservation, keep the step counted.
      await this.spend.settle(reservationId, 0).catch(() => undefined);
      state.inflight = undefined;
      await save().catch(() => undefined);
      throw e;
    }
    const cost = stepCostMinor(price, reply.usage, estimate);
    await this.spend.settle(reservationId, cost);
    await this.spend.record(ctx.task, step, model, cost, reply.usage);
    state.spentMinor += cost;
    state.tokens.prompt += reply.usage?.promptTokens ?? 0;
    state.tokens.completion += reply.usage?.completionTokens ?? 0;
    state.inflight = undefined;
    const message = reply.message;
    state.messages.push({
      role: 'assistant',
      content: message.content ?? null,
      ...(message.tool_calls?.length
        ? {
            tool_calls: message.tool_calls
              .filter((c) => c.type === 'function')
              .map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.function.name, arguments: c.function.arguments },
              })),
          }
        : {}),
    });
    const names = (message.tool_calls ?? []).map((c) => (c.type === 'function' ? c.function.name : c.type));
    const withContent = spec.logContent !== false;
    await this.steps.write(ctx.task, ctx.workerId, {
      step,
      key: 'model',
      action: 'agent.model',
      durationMs: reply.durationMs,
      message: names.length
        ? `model asked for ${names.join(', ')}`
        : withContent
          ? `model answered: ${(message.content ?? '').slice(0, 500)}`
          : `model answered (${(message.content ?? '').length} characters)`,
      ...(reply.usage ? {} : { level: 'warn' as const }),
      data: {
        model,
        usage: { prompt: reply.usage?.promptTokens ?? 0, completion: reply.usage?.completionTokens ?? 0 },
        costMinor: cost,
        currency: this.spend.currency,
        retries: reply.retries,
        toolCalls: names,
        ...(reply.usage
          ? {}
          : { usageMissing: true, note: 'the provider reported no usage: the reservation was charged' }),
        ...(message.content && withContent ? { content: message.content.slice(0, 4_000) } : {}),
      },
    });
    return message;
  }

  /** Tools offered to the model: those the worker's level and the policy allow. */
  private offeredTools(tools: Map<string, AgentTool>, level: number): ChatCompletionTool[] {
    return [...tools.values()]
      .filter((t) => level >= this.policy.toolLevel(t.name, t.minLevel))
      .map((t) => ({
        type: 'function',
        function: { name: t.name, description: t.description, parameters: t.parameters },
      }));
  }

  /** Runs the calls of the last assistant message that have no result yet; returns a stop if one is due. */
  private async runToolCalls(
    spec: AgentSpec,
    ctx: TaskContext,
    state: AgentState,
    tools: Map<string, AgentTool>,
    signal: AbortSignal,
    save: () => Promise<void>,
  ): Promise<{ reason: AgentStopReason; detail: string } | undefined> {
    const pending = pendingToolCalls(state.messages);
    if (pending.length === 0) return undefined;
    const observed: Array<{ action: string; observation: string }> = [];
    for (const call of pending) {
      const tool = tools.get(call.name);
      const started = performance.now();
      let content: string;
      let outcome: ToolOutcome;
      const gate = gateToolCall(call, {
        tool,
        available: [...tools.keys()],
        ...(tool ? {} : { refusal: spec.refuseTool?.(call.name, call.arguments) }),
        validate: (schema, value) => this.validator.check(schema, value),
        level: ctx.level,
        neededLevel: tool ? this.policy.toolLevel(tool.name, tool.minLevel) : 0,
      });
      const invalid = !gate.run && gate.invalid;
      const args = gate.args;
      if (!gate.run) {
        content = gate.content;
        outcome = gate.outcome;
      } else {
        const { tool: runnable, args: valid } = gate;
        const amount = runnable.amountOf?.(valid);
        const why = this.policy.approvalReason(runnable.name, amount);
        const approval = why ? await this.approvalFor(ctx, state, call.id, runnable, valid, why, amount) : undefined;
        const verdict = approvalVerdict(approval, runnable.name);
        if (approval && verdict.kind === 'wait') {
          this.toolCalls.inc({ tool: runnable.name, outcome: 'approval' });
          await save();
          await this.steps.write(ctx.task, ctx.workerId, {
            step: state.step,
            key: `approval:${call.id}`,
            action: 'agent.approval',
            message: `${runnable.name} waits for approval ${approval.id}`,
            data: {
              tool: runnable.name,
              outcome: 'approval',
              approvalId: approval.id,
              argsHash: approval.argsHash,
              args: valid,
            },
          });
          throw new BlockTaskError(
            'approval',
            `waiting for approval ${approval.id} to run ${runnable.name}`,
            approval.id,
          );
        }
        if (approval && verdict.kind === 'denied') {
          this.toolCalls.inc({ tool: runnable.name, outcome: 'denied' });
          await this.steps.write(ctx.task, ctx.workerId, {
            step: state.step,
            key: `tool:${call.id}`,
            action: 'agent.tool',
            level: 'warn',
            message: verdict.detail,
            data: { tool: runnable.name, outcome: 'denied', approvalId: approval.id },
          });
          return { reason: 'denied', detail: verdict.detail };
        }
        ({ content, outcome } = await this.execute(ctx, state, runnable, valid, call, signal, save));
      }
      state.invalidStreak = invalid ? state.invalidStreak + 1 : 0;
      this.toolCalls.inc({ tool: tool ? tool.name : 'unknown', outcome });
      state.messages.push({ role: 'tool', tool_call_id: call.id, content });
      state.inflight = undefined;
      observed.push({ action: `${call.name}#${argsHash(args ?? call.arguments)}`, observation: hash(content) });
      await save();
      spec.onToolResult?.({ step: state.step, tool: call.name, outcome, content });
      await this.steps.write(ctx.task, ctx.workerId, {
        step: state.step,
        key: `tool:${call.id}`,
        action: 'agent.tool',
        durationMs: performance.now() - started,
        level: outcome === 'ok' ? 'info' : 'warn',
        message: `${call.name}: ${outcome}${outcome === 'ok' ? '' : ` — ${content.slice(0, 300)}`}`,
        data: {
          tool: call.name,
          outcome,
          args: args ?? { raw: call.arguments.slice(0, 2_000) },
          ...(spec.logContent === false ? { resultChars: content.length } : { result: content.slice(0, 4_000) }),
        },
      });
      if (state.invalidStreak > this.config.AGENT_TOOL_ARG_RETRIES) {
        return { reason: 'loop_detected', detail: `${state.invalidStreak} invalid tool calls in a row` };
      }
    }
    const verdict = recordStep(state.loop, observed, {
      maxRepeats: this.config.AGENT_LOOP_REPEATS,
      maxStaleSteps: this.config.AGENT_LOOP_STALE_STEPS,
    });
    if (verdict.loop) {
      await save();
      return { reason: 'loop_detected', detail: verdict.detail ?? 'loop' };
    }
    return undefined;
  }

  /** Runs an authorised tool; its intent is checkpointed first when it has side effects. */
  private async execute(
    ctx: TaskContext,
    state: AgentState,
    tool: AgentTool,
    args: Record<string, unknown>,
    call: { id: string; index: number },
    signal: AbortSignal,
    save: () => Promise<void>,
  ): Promise<{ content: string; outcome: 'ok' | 'error' | 'denied' }> {
    const idempotencyKey = `tool:${ctx.task.id}:${state.step}:${call.index}`;
    if (tool.sideEffects) {
      state.inflight = { kind: 'tool', step: state.step, callId: call.id, tool: tool.name, idempotencyKey };
      await save();
    }
    try {
      const result = await tool.run(args, {
        task: ctx.task,
        workerId: ctx.workerId,
        level: ctx.level,
        step: state.step,
        idempotencyKey,
        signal,
        budgetLeftMinor: budgetLeftMinor(ctx.task.budgetMinor, state.spentMinor),
      });
      return { content: truncateToolResult(JSON.stringify(redact(result ?? null))), outcome: 'ok' };
    } catch (e) {
      if (signal.aborted) throw e;
      const why = redactString((e as Error)?.message ?? String(e)).slice(0, 2_000);
      if (e instanceof ToolDeniedError) return { content: `denied: ${why}`, outcome: 'denied' };
      // A tool error goes back to the model as the call's result, so it can recover.
      return { content: `error: ${why}`, outcome: 'error' };
    }
  }

  /**
   * The approval this call needs, bound to the hash of its canonical arguments. A resumed run asks
   * for the approval it already has; governance returns the same one for the same task, action and
   * hash, so nothing is ever requested twice or approved by accident.
   */
  private async approvalFor(
    ctx: TaskContext,
    state: AgentState,
    callId: string,
    tool: AgentTool,
    args: Record<string, unknown>,
    reason: string,
    amountMinor: number | undefined,
  ): Promise<ApprovalV1> {
    const bound = `sha256:${argsHash(args)}`;
    const known = state.approvals[callId];
    const approval = known
      ? await this.bus.request(Subjects.approvalGet, { id: known })
      : await this.bus.request(Subjects.approvalRequest, {
          taskId: ctx.task.id,
          workerId: ctx.workerId,
          action: `tool:${tool.name}`,
          argsHash: bound,
          args: redact(args),
          reason,
          ...(amountMinor !== undefined ? { amountMinor } : {}),
        });
    if (approval.argsHash !== bound || approval.action !== `tool:${tool.name}`) {
      throw new TerminalTaskError(
        `approval ${approval.id} is for other arguments than this call; refusing to run ${tool.name}`,
      );
    }
    state.approvals[callId] = approval.id;
    return approval;
  }

  /** On resume: an interrupted model call keeps its reservation (it may have been billed); a tool re-runs with its idempotency key. */
  private async reconcile(ctx: TaskContext, state: AgentState): Promise<void> {
    const inflight = state.inflight;
    if (!inflight) return;
    if (inflight.kind === 'model') {
      await this.steps.write(ctx.task, ctx.workerId, {
        step: inflight.step,
        key: 'model-interrupted',
        action: 'agent.reconcile',
        level: 'warn',
        message: `model call ${inflight.step} was interrupted; its reservation of ${inflight.reservedMinor} stays counted and the step is made again`,
        data: { reservationId: inflight.reservationId, costMinor: inflight.reservedMinor },
      });
      state.spentMinor += inflight.reservedMinor;
      state.inflight = undefined;
    } else {
      await this.steps.write(ctx.task, ctx.workerId, {
        step: inflight.step,
        key: `tool-interrupted:${inflight.callId}`,
        action: 'agent.reconcile',
        level: 'warn',
        message: `${inflight.tool} was interrupted; it runs again with the same idempotency key, so its effect lands once`,
        data: { tool: inflight.tool, idempotencyKey: inflight.idempotencyKey },
      });
    }
  }

  private checkAnswer(
    spec: AgentSpec,
    content: string,
    messages: readonly ChatCompletionMessageParam[],
  ): { ok: true; value: unknown } | { ok: false; error: string } {
    if (!spec.outputSchema) {
      const problem = spec.checkAnswer?.(content, messages) ?? null;
      return problem ? { ok: false, error: problem } : { ok: true, value: content };
    }
    const parsed = answerJson(content);
    if (!parsed.ok) return parsed;
    const value = parsed.value;
    const problems = this.validator.check(spec.outputSchema, value) ?? spec.checkAnswer?.(value, messages) ?? null;
    return problems ? { ok: false, error: problems } : { ok: true, value };
  }

  private async finish(
    ctx: TaskContext,
    state: AgentState,
    reason: AgentStopReason,
    detail?: string,
    answer?: unknown,
  ): Promise<AgentRunResult> {
    this.runs.inc({ type: ctx.task.type, stop_reason: reason });
    await this.steps.write(ctx.task, ctx.workerId, {
      step: state.step,
      key: `stop:${ctx.task.attempt}`,
      action: 'agent.stop',
      level: reason === 'completed' ? 'info' : 'warn',
      message: `run stopped: ${reason}${detail ? ` (${detail})` : ''}`,
      data: {
        stopReason: reason,
        steps: state.step,
        costMinor: state.spentMinor,
        currency: this.spend.currency,
        usage: { ...state.tokens },
      },
    });
    this.logger.info({ taskId: ctx.task.id, stopReason: reason, detail, steps: state.step }, 'agent run stopped');
    return {
      stopReason: reason,
      ...(detail ? { detail } : {}),
      ...(answer !== undefined ? { answer } : {}),
      steps: state.step,
      tokens: { ...state.tokens },
      costMinor: state.spentMinor,
      currency: this.spend.currency,
    };
  }
}
