import { Module } from '@nestjs/common';
import { llmProviders } from '@juggernaut/llm';
import { PolicyFollower } from '@juggernaut/policy';
import { Author } from './author/author';
import { ChangesMessaging } from './changes/changes.messaging';
import { ChangesRepository } from './changes/changes.repository';
import { ChangesService } from './changes/changes.service';
import { StepLog } from './changes/step-log';
import { MeteredModel } from './llm/metered-model';
import { ApprovalDecisions } from './pipeline/approval-decisions';
import { ChangePipeline } from './pipeline/change-pipeline';
import { TaskOutcomes } from './pipeline/task-outcomes';
import { RepositoriesRepository } from './repositories/repositories.repository';
import { Reviewer } from './review/reviewer';
import { DevBotWorker } from './worker/dev-bot-worker';

@Module({
  providers: [
    RepositoriesRepository,
    StepLog,
    ChangesRepository,
    ChangesService,
    ChangesMessaging,
    ...llmProviders('dev-bot'),
    MeteredModel,
    Author,
    Reviewer,
    ChangePipeline,
    ApprovalDecisions,
    TaskOutcomes,
    PolicyFollower,
    DevBotWorker,
  ],
})
export class DevBotModule {}
