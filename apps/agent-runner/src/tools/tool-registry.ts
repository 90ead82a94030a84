import { Inject, Injectable } from '@nestjs/common';
import { Bus } from '@juggernaut/messaging';
import { APP_CONFIG } from '@juggernaut/service-kit';
import type { RunnerEnv } from '../config';
import { CreateOpportunityTool } from './create-opportunity.tool';
import { CreateTaskTool } from './create-task.tool';
import { GoalNotesReadTool, GoalNoteWriteTool } from './goal-notes.tools';
import { HttpFetchTool } from './http-fetch.tool';
import { LedgerSummaryTool } from './ledger-summary.tool';
import { LogTool } from './log.tool';
import { ProposeExperimentTool } from './propose-experiment.tool';
import { RequestCodeChangeTool } from './request-code-change.tool';
import type { AgentTool } from './tool';

/**
 * Every tool an agent can be offered. There is deliberately no shell, no SQL and no file access:
 * tools reach the world only through the guarded HTTP GET and Juggernaut's own subjects.
 */
@Injectable()
export class ToolRegistry {
  readonly all: readonly AgentTool[];

  constructor(bus: Bus, @Inject(APP_CONFIG) config: RunnerEnv) {
    this.all = [
      new HttpFetchTool({
        allowHosts: config.AGENT_HTTP_ALLOW_HOSTS,
        maxBytes: config.AGENT_HTTP_MAX_BYTES,
        timeoutMs: config.AGENT_HTTP_TIMEOUT_MS,
      }),
      new LogTool(bus),
      new GoalNotesReadTool(bus),
      new GoalNoteWriteTool(bus),
      new CreateOpportunityTool(bus),
      new LedgerSummaryTool(bus),
      new ProposeExperimentTool(bus),
      new RequestCodeChangeTool(bus),
      new CreateTaskTool(bus),
    ];
  }

  get(name: string): AgentTool {
    const t = this.all.find((x) => x.name === name);
    if (!t) throw new Error(`no tool ${name}`);
    return t;
  }
}
