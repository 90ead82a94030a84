import { Inject, Injectable } from '@nestjs/common';
import { costMinor, ModelClient, type ModelReply, reservationMinor, Spend } from '@juggernaut/llm';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ChangeRow } from '../changes/changes.repository';
import { ChangesRepository } from '../changes/changes.repository';
import type { DevBotEnv } from '../config';
import { type ChangeTaskContext, TerminalChangeError } from '../worker/change-task';

/** A model call refused by the budget before any request was made. */
export class BudgetRefusedError extends Error {}

/**
 * Every model call dev-bot makes, with its money: a budget reservation before it (refused → no
 * request), the provider-reported cost settled after it, posted to the ledger as
 * `juggernaut.cost.recorded.v1` (event id per task and call number, so a replay posts nothing
 * twice) and added to the change's cost.
 */
@Injectable()
export class MeteredModel {
  constructor(
    private readonly model: ModelClient,
    private readonly spend: Spend,
    private readonly changes: ChangesRepository,
    @Inject(APP_CONFIG) private readonly config: DevBotEnv,
  ) {}

  async complete(
    ctx: ChangeTaskContext,
    change: ChangeRow,
    req: {
      model: string;
      messages: ChatCompletionMessageParam[];
      tools?: ChatCompletionTool[];
      role: 'author' | 'reviewer';
    },
  ): Promise<ModelReply & { costMinor: number; call: number }> {
    const price = this.model.priceOf(req.model);
    if (!price)
      throw new TerminalChangeError(
        `no price for model "${req.model}": add it to AGENT_PRICES (minor units per million tokens)`,
      );
    const tools = req.tools ?? [];
    const maxTokens = this.config.DEVBOT_MAX_TOKENS;
    const estimate = reservationMinor(
      price,
      Buffer.byteLength(JSON.stringify({ m: req.messages, t: tools })),
      maxTokens,
    );
    const call = await this.changes.nextModelCall(change.id);
    const reservationId = `devbot:${change.id}:${call}`;
    const reservation = await this.spend.reserve(ctx.task, ctx.workerId, ctx.level, reservationId, estimate);
    if (!reservation.granted) {
      throw new BudgetRefusedError(
        `${reservation.reason} (the ${req.role}'s next call needed up to ${estimate} ${this.spend.currency} minor units; no request was made)`,
      );
    }
    let reply: ModelReply;
    try {
      reply = await this.model.complete({
        model: req.model,
        messages: req.messages,
        tools,
        maxTokens,
        signal: ctx.signal,
      });
    } catch (e) {
      await this.spend.settle(reservationId, 0).catch(() => undefined);
      throw e;
    }
    const cost = reply.usage ? costMinor(price, reply.usage.promptTokens, reply.usage.completionTokens) : estimate;
    await this.spend.settle(reservationId, cost);
    await this.spend.record(ctx.task, call, req.model, cost, reply.usage);
    await this.changes.addCost(change.id, cost);
    return { ...reply, costMinor: cost, call };
  }
}
