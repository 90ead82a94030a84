import { AlertRaisedV1 } from './alerts/alert-raised.v1';
import { ChangeEventV1 } from './changes/change-events.v1';
import { DeadLetterV1 } from './deadletter/dead-letter.v1';
import { ExperimentConversionV1, ExperimentExposureV1, ExperimentLifecycleV1 } from './experiments/experiment-events.v1';
import { LedgerPostedV1 } from './ledger/ledger-posted.v1';
import { CreateExecutionLogDto } from './logs/execution-log.v1';
import { CreateOpportunityDto, OpportunityV1 } from './opportunities/opportunity.v1';
import { CostRecordedV1, RevenueRecordedV1 } from './revenue/revenue-recorded.v1';
import {
  CancelTaskV1, CheckpointTaskV1, ClaimedTaskV1, ClaimTasksV1, CreateScheduleDto, Empty, FinishReplyV1, FinishTasksV1,
  HeartbeatLeasesV1, HeartbeatReplyV1, ListTasksV1, ReleaseTasksV1, ScheduleNameV1, ScheduleViewV1, SetTaskTypeLimitsV1,
  TaskHistoryEntryV1, TaskIdV1, TaskPageV1, TaskTypeLimitsViewV1, TaskViewV1, WorkerHeartbeatV1,
} from './tasks/dispatch.v1';
import { CreateTaskDto, TaskEventV1, TaskSubmitReplyV1 } from './tasks/task.v1';
import { WorkerPresenceV1 } from './workers/worker-events.v1';

/**
 * Every NATS subject Juggernaut speaks, named `juggernaut.<domain>.<event>.v<N>`.
 * A breaking payload change is a new version beside the old one.
 */
export const Subjects = {
  // Inbound from other systems and from runners: captured by JetStream, applied exactly once.
  revenueRecorded: 'juggernaut.revenue.recorded.v1',
  costRecorded: 'juggernaut.cost.recorded.v1',
  experimentExposure: 'juggernaut.experiment.exposure.v1',
  experimentConversion: 'juggernaut.experiment.conversion.v1',
  logAppend: 'juggernaut.log.append.v1',
  // Request/reply (core NATS, queue groups).
  taskSubmit: 'juggernaut.task.submit.v1',
  opportunityCreate: 'juggernaut.opportunity.create.v1',
  logCreate: 'juggernaut.log.create.v1',
  taskClaim: 'juggernaut.task.claim.v1',
  taskHeartbeat: 'juggernaut.task.heartbeat.v1',
  taskFinish: 'juggernaut.task.finish.v1',
  taskRelease: 'juggernaut.task.release.v1',
  taskCheckpoint: 'juggernaut.task.checkpoint.v1',
  taskGet: 'juggernaut.task.get.v1',
  taskList: 'juggernaut.task.list.v1',
  taskCancel: 'juggernaut.task.cancel.v1',
  taskRetry: 'juggernaut.task.retry.v1',
  scheduleCreate: 'juggernaut.schedule.create.v1',
  scheduleList: 'juggernaut.schedule.list.v1',
  scheduleDelete: 'juggernaut.schedule.delete.v1',
  taskTypeLimitsSet: 'juggernaut.tasktype.limits.set.v1',
  taskTypeLimitsList: 'juggernaut.tasktype.limits.list.v1',
  // Core NATS signals: fast notifications whose loss is covered by a fallback (polling, heartbeats).
  runnerWake: 'juggernaut.runner.wake.v1',
  taskAbort: 'juggernaut.task.abort.v1',
  workerHeartbeat: 'juggernaut.worker.heartbeat.v1',
  // Outbound events.
  taskCreated: 'juggernaut.task.created.v1',
  taskClaimed: 'juggernaut.task.claimed.v1',
  taskSucceeded: 'juggernaut.task.succeeded.v1',
  taskFailed: 'juggernaut.task.failed.v1',
  taskDead: 'juggernaut.task.dead.v1',
  taskCancelled: 'juggernaut.task.cancelled.v1',
  workerOnline: 'juggernaut.worker.online.v1',
  workerOffline: 'juggernaut.worker.offline.v1',
  opportunityCreated: 'juggernaut.opportunity.created.v1',
  experimentStarted: 'juggernaut.experiment.started.v1',
  experimentConcluded: 'juggernaut.experiment.concluded.v1',
  ledgerPosted: 'juggernaut.ledger.posted.v1',
  alertRaised: 'juggernaut.alert.raised.v1',
  changeOpened: 'juggernaut.change.opened.v1',
  changeMerged: 'juggernaut.change.merged.v1',
  deadLetter: 'juggernaut.deadletter.v1',
} as const;

export type Subject = (typeof Subjects)[keyof typeof Subjects];

/** Subjects captured by a JetStream stream, with the payload each carries. */
export interface StreamSubjectMap {
  'juggernaut.revenue.recorded.v1': RevenueRecordedV1;
  'juggernaut.cost.recorded.v1': CostRecordedV1;
  'juggernaut.experiment.exposure.v1': ExperimentExposureV1;
  'juggernaut.experiment.conversion.v1': ExperimentConversionV1;
  'juggernaut.log.append.v1': CreateExecutionLogDto;
  'juggernaut.task.created.v1': TaskEventV1;
  'juggernaut.task.claimed.v1': TaskEventV1;
  'juggernaut.task.succeeded.v1': TaskEventV1;
  'juggernaut.task.failed.v1': TaskEventV1;
  'juggernaut.task.dead.v1': TaskEventV1;
  'juggernaut.task.cancelled.v1': TaskEventV1;
  'juggernaut.worker.online.v1': WorkerPresenceV1;
  'juggernaut.worker.offline.v1': WorkerPresenceV1;
  'juggernaut.opportunity.created.v1': OpportunityV1;
  'juggernaut.experiment.started.v1': ExperimentLifecycleV1;
  'juggernaut.experiment.concluded.v1': ExperimentLifecycleV1;
  'juggernaut.ledger.posted.v1': LedgerPostedV1;
  'juggernaut.alert.raised.v1': AlertRaisedV1;
  'juggernaut.change.opened.v1': ChangeEventV1;
  'juggernaut.change.merged.v1': ChangeEventV1;
  'juggernaut.deadletter.v1': DeadLetterV1;
}
export type StreamSubject = keyof StreamSubjectMap;

/** Request/reply subjects: what the requester sends and what the responder answers. */
export interface RequestSubjectMap {
  'juggernaut.task.submit.v1': { request: CreateTaskDto; reply: TaskSubmitReplyV1 };
  'juggernaut.opportunity.create.v1': { request: CreateOpportunityDto; reply: OpportunityV1 };
  'juggernaut.log.create.v1': { request: CreateExecutionLogDto; reply: { id: string } };
  'juggernaut.task.claim.v1': { request: ClaimTasksV1; reply: { tasks: ClaimedTaskV1[] } };
  'juggernaut.task.heartbeat.v1': { request: HeartbeatLeasesV1; reply: HeartbeatReplyV1 };
  'juggernaut.task.finish.v1': { request: FinishTasksV1; reply: FinishReplyV1 };
  'juggernaut.task.release.v1': { request: ReleaseTasksV1; reply: { released: string[] } };
  'juggernaut.task.checkpoint.v1': { request: CheckpointTaskV1; reply: { saved: boolean } };
  'juggernaut.task.get.v1': { request: TaskIdV1; reply: TaskViewV1 & { history: TaskHistoryEntryV1[] } };
  'juggernaut.task.list.v1': { request: ListTasksV1; reply: TaskPageV1 };
  'juggernaut.task.cancel.v1': { request: CancelTaskV1; reply: TaskViewV1 };
  'juggernaut.task.retry.v1': { request: TaskIdV1; reply: TaskViewV1 };
  'juggernaut.schedule.create.v1': { request: CreateScheduleDto; reply: ScheduleViewV1 };
  'juggernaut.schedule.list.v1': { request: Empty; reply: ScheduleViewV1[] };
  'juggernaut.schedule.delete.v1': { request: ScheduleNameV1; reply: { deleted: boolean } };
  'juggernaut.tasktype.limits.set.v1': { request: SetTaskTypeLimitsV1; reply: TaskTypeLimitsViewV1 };
  'juggernaut.tasktype.limits.list.v1': { request: Empty; reply: TaskTypeLimitsViewV1[] };
}
export type RequestSubject = keyof RequestSubjectMap;

export type PayloadOf<S extends StreamSubject | RequestSubject> = S extends StreamSubject
  ? StreamSubjectMap[S]
  : S extends RequestSubject
    ? RequestSubjectMap[S]['request']
    : never;

type Ctor<T> = new () => T;

/** The class that validates each subject's payload; consumers validate against it before any handler runs. */
export const PayloadClasses: { [S in StreamSubject | RequestSubject]: Ctor<PayloadOf<S>> } = {
  'juggernaut.revenue.recorded.v1': RevenueRecordedV1,
  'juggernaut.cost.recorded.v1': CostRecordedV1,
  'juggernaut.experiment.exposure.v1': ExperimentExposureV1,
  'juggernaut.experiment.conversion.v1': ExperimentConversionV1,
  'juggernaut.log.append.v1': CreateExecutionLogDto,
  'juggernaut.task.created.v1': TaskEventV1,
  'juggernaut.task.claimed.v1': TaskEventV1,
  'juggernaut.task.succeeded.v1': TaskEventV1,
  'juggernaut.task.failed.v1': TaskEventV1,
  'juggernaut.task.dead.v1': TaskEventV1,
  'juggernaut.task.cancelled.v1': TaskEventV1,
  'juggernaut.worker.online.v1': WorkerPresenceV1,
  'juggernaut.worker.offline.v1': WorkerPresenceV1,
  'juggernaut.opportunity.created.v1': OpportunityV1,
  'juggernaut.experiment.started.v1': ExperimentLifecycleV1,
  'juggernaut.experiment.concluded.v1': ExperimentLifecycleV1,
  'juggernaut.ledger.posted.v1': LedgerPostedV1,
  'juggernaut.alert.raised.v1': AlertRaisedV1,
  'juggernaut.change.opened.v1': ChangeEventV1,
  'juggernaut.change.merged.v1': ChangeEventV1,
  'juggernaut.deadletter.v1': DeadLetterV1,
  'juggernaut.task.submit.v1': CreateTaskDto,
  'juggernaut.opportunity.create.v1': CreateOpportunityDto,
  'juggernaut.log.create.v1': CreateExecutionLogDto,
  'juggernaut.task.claim.v1': ClaimTasksV1,
  'juggernaut.task.heartbeat.v1': HeartbeatLeasesV1,
  'juggernaut.task.finish.v1': FinishTasksV1,
  'juggernaut.task.release.v1': ReleaseTasksV1,
  'juggernaut.task.checkpoint.v1': CheckpointTaskV1,
  'juggernaut.task.get.v1': TaskIdV1,
  'juggernaut.task.list.v1': ListTasksV1,
  'juggernaut.task.cancel.v1': CancelTaskV1,
  'juggernaut.task.retry.v1': TaskIdV1,
  'juggernaut.schedule.create.v1': CreateScheduleDto,
  'juggernaut.schedule.list.v1': Empty,
  'juggernaut.schedule.delete.v1': ScheduleNameV1,
  'juggernaut.tasktype.limits.set.v1': SetTaskTypeLimitsV1,
  'juggernaut.tasktype.limits.list.v1': Empty,
};

/** Core NATS signals (every replica of a listener receives each one; loss is covered by a fallback). */
export interface SignalSubjectMap {
  'juggernaut.runner.wake.v1': { reason: string };
  'juggernaut.task.abort.v1': { taskId: string; workerId: string | null; reason: string };
  'juggernaut.worker.heartbeat.v1': WorkerHeartbeatV1;
}
export type SignalSubject = keyof SignalSubjectMap;

export interface StreamDefinition {
  /** Stream name; a deployment prefix is prepended by the messaging library. */
  name: string;
  description: string;
  subjects: readonly StreamSubject[];
}

/** The JetStream streams Juggernaut creates at boot (idempotently). */
export const Streams = {
  inbound: {
    name: 'JUGGERNAUT_INBOUND',
    description: 'Events from other systems and from runners, applied exactly once by their owners.',
    subjects: [
      Subjects.revenueRecorded, Subjects.costRecorded, Subjects.experimentExposure, Subjects.experimentConversion,
      Subjects.logAppend,
    ],
  },
  events: {
    name: 'JUGGERNAUT_EVENTS',
    description: 'Outbound domain events for other systems and dashboards.',
    subjects: [
      Subjects.taskCreated, Subjects.taskClaimed, Subjects.taskSucceeded, Subjects.taskFailed, Subjects.taskDead,
      Subjects.taskCancelled, Subjects.workerOnline, Subjects.workerOffline, Subjects.opportunityCreated,
      Subjects.experimentStarted, Subjects.experimentConcluded, Subjects.ledgerPosted, Subjects.alertRaised,
      Subjects.changeOpened, Subjects.changeMerged,
    ],
  },
  deadLetter: {
    name: 'JUGGERNAUT_DEADLETTER',
    description: 'Messages that failed validation or processing, with the reason.',
    subjects: [Subjects.deadLetter],
  },
} as const satisfies Record<string, StreamDefinition>;
