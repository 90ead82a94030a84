import { Injectable } from '@nestjs/common';
import {
  type AddConversationSummaryV1,
  type ConversationContextV1,
  type ConversationReplyRecordedV1,
  type ConversationStreamEventV1,
  type ConversationSummaryV1,
  type ConversationTurnRefV1,
  type RecordConversationReplyV1,
  Subjects,
} from '@juggernaut/contracts';
import { Bus, RpcError } from '@juggernaut/messaging';
import { onReconnect, untilAnswered } from '@juggernaut/worker';
import { sleep, TerminalTaskError } from '../handlers/task-handler';

/** How long a runner that claimed an answer's task at once waits for governance to bind the task to it. */
const BIND_WAIT_MS = 10_000;

/**
 * The runner's side of a conversation turn, over governance-api's `juggernaut.conversation.*`
 * subjects: the turn, the summary and the answer to store (each checked there against the answer's
 * own task), and the progress of the answer on core NATS for whoever is streaming it.
 */
@Injectable()
export class ConversationClient {
  constructor(private readonly bus: Bus) {}

  /** The turn to answer. A task governance has not bound to its answer yet (claimed at once) asks again; one that is not the answer's task fails. */
  async context(ref: ConversationTurnRefV1, signal: AbortSignal): Promise<ConversationContextV1> {
    const deadline = Date.now() + BIND_WAIT_MS;
    for (;;) {
      try {
        return await untilAnswered(() => this.bus.request(Subjects.conversationContext, ref), {
          giveUp: () => signal.aborted || Date.now() > deadline,
          retryNow: onReconnect(this.bus),
        });
      } catch (e) {
        if (e instanceof RpcError && e.status === 409 && Date.now() < deadline) {
          await sleep(200, signal);
          continue;
        }
        if (e instanceof RpcError && e.status < 500)
          throw new TerminalTaskError(`not a conversation turn governance knows: ${e.message}`);
        throw e;
      }
    }
  }

  summary(s: AddConversationSummaryV1, signal: AbortSignal): Promise<ConversationSummaryV1> {
    return untilAnswered(() => this.bus.request(Subjects.conversationSummary, s), {
      giveUp: () => signal.aborted,
      retryNow: onReconnect(this.bus),
    });
  }

  /** Stores the answer; sent until governance answers (it stores it once, and only while the answer is pending). */
  record(r: RecordConversationReplyV1): Promise<ConversationReplyRecordedV1> {
    let tries = 0;
    return untilAnswered(() => this.bus.request(Subjects.conversationReply, r, 10_000), {
      giveUp: () => ++tries > 8,
      retryNow: onReconnect(this.bus),
    });
  }

  /** A progress event for a caller streaming the answer (core NATS: lost without harm). */
  progress(
    ref: ConversationTurnRefV1,
    e: Omit<ConversationStreamEventV1, 'conversationId' | 'messageId' | 'taskId'>,
  ): void {
    try {
      this.bus.signal(Subjects.conversationStream, {
        conversationId: ref.conversationId,
        messageId: ref.messageId,
        taskId: ref.taskId,
        ...e,
      });
    } catch {
      // a closed connection: the stored answer is what counts
    }
  }
}
