import { Injectable } from '@nestjs/common';
import {
  type AddConversationSummaryV1,
  type ConversationReadV1,
  type ConversationTurnRefV1,
  type RecordConversationReplyV1,
  Subjects,
} from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { ConversationsService } from './conversations.service';

/**
 * What a runner writing an answer asks of governance: the turn (`juggernaut.conversation.context.v1`),
 * reads on the caller's behalf with the caller's role (`…read.v1`), a summary to store (`…summary.v1`)
 * and the answer itself (`…reply.v1`). Each is checked against the answer's own task: a task that is
 * not writing that answer gets nothing and changes nothing.
 */
@Injectable()
export class ConversationsMessaging {
  constructor(private readonly conversations: ConversationsService) {}

  @Respond(Subjects.conversationContext)
  context(req: ConversationTurnRefV1) {
    return this.conversations.context(req);
  }

  @Respond(Subjects.conversationRead)
  read(req: ConversationReadV1) {
    return this.conversations.readFor(req);
  }

  @Respond(Subjects.conversationSummary)
  summary(req: AddConversationSummaryV1) {
    return this.conversations.addSummary(req);
  }

  @Respond(Subjects.conversationReply)
  reply(req: RecordConversationReplyV1) {
    return this.conversations.recordReply(req);
  }
}
