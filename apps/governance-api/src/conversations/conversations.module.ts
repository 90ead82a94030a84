import { Module } from '@nestjs/common';
import { ConversationReads } from './conversation-reads';
import { ConversationStreams } from './conversation-streams';
import { ConversationsController } from './conversations.controller';
import { ConversationsMessaging } from './conversations.messaging';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';

/** Conversations with Juggernaut: stored here, answered by agent runners (see conversations.service.ts). */
@Module({
  controllers: [ConversationsController],
  providers: [
    ConversationsRepository,
    ConversationsService,
    ConversationStreams,
    ConversationReads,
    ConversationsMessaging,
  ],
})
export class ConversationsModule {}
