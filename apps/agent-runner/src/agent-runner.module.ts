import { Module } from '@nestjs/common';
import { NoopHandler } from './handlers/noop.handler';
import { TASK_HANDLERS, type TaskHandler } from './handlers/task-handler';
import { Worker } from './worker/worker';

/** Task handlers are listed here; the runner claims only the types it has a handler for. */
@Module({
  providers: [
    NoopHandler,
    { provide: TASK_HANDLERS, useFactory: (...handlers: TaskHandler[]) => handlers, inject: [NoopHandler] },
    Worker,
  ],
  exports: [Worker],
})
export class AgentRunnerModule {}
