import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { ConversationsService } from './conversations.service';

/**
 * What a runner writing an answer asks of governance: the turn (`juggernaut.conversation.context.v1`),
 * reads on the caller's behalf with the caller's role (`…read.v1`), a summary to store (`…summary.v1`)
 * and the answer itself (`…reply.v1`). Each is checked against the answer's own task: a task that is
 * not writing that answer gets nothing and changes nothing.
 */
@Injectable()
export class ConversationsMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly conversations: ConversationsService,
  ) {}

  onApplicationBootstrap(): void {
    this.subs.push(
      this.bus.respond(Subjects.conversationContext, (req) => this.conversations.context(req)),
      this.bus.respond(Subjects.conversationRead, (req) => this.conversations.readFor(req)),
      this.bus.respond(Subjects.conversationSummary, (req) => this.conversations.addSummary(req)),
      this.bus.respond(Subjects.conversationReply, (req) => this.conversations.recordReply(req)),
    );
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}
