import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type ConversationStreamEventV1, Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';

const KINDS = new Set<ConversationStreamEventV1['kind']>(['delta', 'tool', 'retract', 'compacted', 'done']);
const MAX_TEXT = 64 * 1024;

/** The event when it has the shape of one (a signal is only a hint: a malformed one is dropped). */
function eventOf(p: Partial<ConversationStreamEventV1>): ConversationStreamEventV1 | undefined {
  if (typeof p.messageId !== 'string' || typeof p.conversationId !== 'string' || !p.kind || !KINDS.has(p.kind))
    return undefined;
  if (p.text !== undefined && (typeof p.text !== 'string' || p.text.length > MAX_TEXT)) return undefined;
  return {
    conversationId: p.conversationId,
    messageId: p.messageId,
    kind: p.kind,
    ...(typeof p.taskId === 'string' ? { taskId: p.taskId } : {}),
    ...(Number.isInteger(p.step) ? { step: p.step } : {}),
    ...(typeof p.text === 'string' ? { text: p.text } : {}),
    ...(typeof p.tool === 'string' ? { tool: p.tool.slice(0, 200) } : {}),
    ...(typeof p.outcome === 'string' ? { outcome: p.outcome.slice(0, 50) } : {}),
    ...(typeof p.reason === 'string' ? { reason: p.reason.slice(0, 2_000) } : {}),
  };
}

/**
 * The progress of answers on `juggernaut.conversation.stream.v1`, handed to the requests waiting for
 * them in this replica. Every replica hears every event and keeps those of the answers its own
 * callers wait for; `done` (an answer stored, by whichever replica stored it) wakes them at once.
 */
@Injectable()
export class ConversationStreams implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly waiting = new Map<string, Set<(e: ConversationStreamEventV1) => void>>();
  private sub?: Subscription;

  constructor(private readonly bus: Bus) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.listen(Subjects.conversationStream, (payload) => {
      const e = eventOf(payload);
      if (e) this.deliver(e);
    });
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** Hears the events of one answer until the returned function is called. */
  follow(messageId: string, listener: (e: ConversationStreamEventV1) => void): () => void {
    let set = this.waiting.get(messageId);
    if (!set) this.waiting.set(messageId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.waiting.get(messageId) === set) this.waiting.delete(messageId);
    };
  }

  /** The answer is stored: wakes who waits for it, in every replica (this one hears its own signal too). */
  done(conversationId: string, messageId: string): void {
    this.bus.signal(Subjects.conversationStream, { conversationId, messageId, kind: 'done' });
  }

  /** A summary was stored while this answer is written (shown to a streaming caller). */
  compacted(conversationId: string, messageId: string, taskId: string, throughSeq: number): void {
    this.bus.signal(Subjects.conversationStream, {
      conversationId,
      messageId,
      taskId,
      kind: 'compacted',
      reason: `messages 1 to ${throughSeq} are summarised for the model`,
    });
  }

  private deliver(e: ConversationStreamEventV1): void {
    for (const l of this.waiting.get(e.messageId) ?? []) l(e);
  }
}
