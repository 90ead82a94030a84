import { Injectable } from '@nestjs/common';
import { type CreateExecutionLogDto, Subjects } from '@juggernaut/contracts';
import { Consume, Respond } from '@juggernaut/messaging';
import { LogsService } from './logs.service';

/** The execution log over NATS: request/reply for callers that need the id, a durable stream for the rest. */
@Injectable()
export class LogsMessaging {
  constructor(private readonly logs: LogsService) {}

  @Respond(Subjects.logCreate)
  async create(payload: CreateExecutionLogDto) {
    return { id: (await this.logs.append(payload)).id };
  }

  @Consume(Subjects.logAppend, { durable: 'governance-log-append', concurrency: 8 })
  async append(payload: CreateExecutionLogDto): Promise<void> {
    await this.logs.append(payload);
  }
}
