import {
  BudgetReservationV1,
  BudgetSettlementV1,
  BudgetUsageV1,
  ReserveBudgetV1,
  SettleBudgetV1,
} from './agents/budget.v1';
import { AddGoalNoteV1, GoalNoteV1, ListGoalNotesV1 } from './agents/goal-notes.v1';
import { BlockTaskV1, UnblockTasksV1 } from './agents/task-block.v1';
import { AlertRaisedV1 } from './alerts/alert-raised.v1';
import { AlertResolvedV1 } from './alerts/alert-resolved.v1';
import { DispatchHealthQueryV1, DispatchHealthV1 } from './alerts/dispatch-health.v1';
import { ApprovalIdV1, ApprovalV1, RequestApprovalV1 } from './approvals/approval.v1';
import { ChangeEventV1 } from './changes/change-events.v1';
import { ChangeIdV1, ChangePageV1, ChangeViewV1, CreateChangeV1, ListChangesV1 } from './changes/change.v1';
import { RegisterRepositoryV1, RepositoryNameV1, RepositoryV1 } from './changes/repository.v1';
import { DeadLetterV1 } from './deadletter/dead-letter.v1';
import { ExperimentAllocationV1 } from './experiments/experiment-allocation.v1';
import {
  ExperimentConversionV1,
  ExperimentExposureV1,
  ExperimentLifecycleV1,
} from './experiments/experiment-events.v1';
import type { ExperimentResultsV1 } from './experiments/experiment-results.v1';
import {
  AssignmentV1,
  AssignUnitV1,
  CreateExperimentDto,
  DecisionV1,
  ExperimentIdV1,
  ExperimentPageV1,
  ExperimentV1,
  ExperimentWithDecisionsV1,
  ListExperimentsV1,
  SampleSizeQueryV1,
  SampleSizeV1,
  ExperimentActionV1,
} from './experiments/experiment.v1';
import { GoalIdV1, GoalV1 } from './goals/goal.v1';
import {
  AddConversationSummaryV1,
  ConversationReadV1,
  type ConversationReplyRecordedV1,
  type ConversationContextV1,
  type ConversationStreamEventV1,
  ConversationSummaryV1,
  ConversationTurnRefV1,
  RecordConversationReplyV1,
} from './conversations/conversation.v1';
import { LedgerPostedV1 } from './ledger/ledger-posted.v1';
import {
  CreateLedgerAccountV1,
  ExchangeRateViewV1,
  GetLedgerBalanceV1,
  GetPnlV1,
  LedgerAccountViewV1,
  LedgerBalanceViewV1,
  LedgerSummaryV1,
  LedgerTransactionIdV1,
  LedgerTransactionPageV1,
  LedgerTransactionViewV1,
  ListLedgerAccountsV1,
  ListLedgerTransactionsV1,
  PnlReportV1,
  PostLedgerTransactionV1,
  ReverseLedgerTransactionV1,
  SetExchangeRateV1,
} from './ledger/ledger-api.v1';
import { CreateExecutionLogDto } from './logs/execution-log.v1';
import { CreateOpportunityDto, OpportunityV1 } from './opportunities/opportunity.v1';
import { PolicyDocumentV1 } from './policy/policy.v1';
import { PaymentEventV1 } from './payments/payment-event.v1';
import {
  LedgerReconciledV1,
  ListReconciliationsV1,
  ReconciliationIdV1,
  ReconciliationPageV1,
  ReconciliationV1,
} from './payments/reconciliation.v1';
import { CostRecordedV1, RevenueRecordedV1 } from './revenue/revenue-recorded.v1';
import {
  CancelTaskV1,
  CheckpointTaskV1,
  ClaimedTaskV1,
  ClaimTasksV1,
  CreateScheduleDto,
  Empty,
  FinishReplyV1,
  FinishTasksV1,
  CountTasksV1,
  HeartbeatLeasesV1,
  HeartbeatReplyV1,
  ListTasksV1,
  ReleaseTasksV1,
  ScheduleNameV1,
  ScheduleViewV1,
  SetTaskTypeLimitsV1,
  TaskCountsV1,
  TaskHistoryEntryV1,
  TaskIdV1,
  TaskPageV1,
  TaskTypeLimitsViewV1,
  TaskViewV1,
  WorkerHeartbeatV1,
  BulkTasksReplyV1,
  BulkTasksV1,
  PauseTaskTypeV1,
  SnoozeTaskV1,
  SubmitTaskBatchV1,
  TaskBatchReplyV1,
  TaskRetentionV1,
  TaskTypeNameV1,
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
  // Payment providers' events, accepted by governance-api's signed webhooks (only it publishes them).
  paymentEvent: 'juggernaut.payment.event.v1',
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
  taskCount: 'juggernaut.task.count.v1',
  taskCancel: 'juggernaut.task.cancel.v1',
  taskRetry: 'juggernaut.task.retry.v1',
  scheduleCreate: 'juggernaut.schedule.create.v1',
  scheduleList: 'juggernaut.schedule.list.v1',
  scheduleDelete: 'juggernaut.schedule.delete.v1',
  taskTypeLimitsSet: 'juggernaut.tasktype.limits.set.v1',
  taskTypeLimitsList: 'juggernaut.tasktype.limits.list.v1',
  taskTypePause: 'juggernaut.tasktype.pause.v1',
  taskTypeResume: 'juggernaut.tasktype.resume.v1',
  taskSubmitBatch: 'juggernaut.task.submit.batch.v1',
  taskCancelBulk: 'juggernaut.task.cancel.bulk.v1',
  taskRetryBulk: 'juggernaut.task.retry.bulk.v1',
  taskSnooze: 'juggernaut.task.snooze.v1',
  taskRetentionGet: 'juggernaut.task.retention.get.v1',
  // Agent runtime: task blocking, budgets, goal memory.
  taskBlock: 'juggernaut.task.block.v1',
  taskUnblock: 'juggernaut.task.unblock.v1',
  budgetReserve: 'juggernaut.budget.reserve.v1',
  budgetSettle: 'juggernaut.budget.settle.v1',
  budgetUsage: 'juggernaut.budget.usage.v1',
  goalNoteAdd: 'juggernaut.goal.note.add.v1',
  goalNoteList: 'juggernaut.goal.note.list.v1',
  experimentCreate: 'juggernaut.experiment.create.v1',
  experimentGet: 'juggernaut.experiment.get.v1',
  experimentList: 'juggernaut.experiment.list.v1',
  experimentStart: 'juggernaut.experiment.start.v1',
  experimentStop: 'juggernaut.experiment.stop.v1',
  experimentResults: 'juggernaut.experiment.results.v1',
  experimentEvaluate: 'juggernaut.experiment.evaluate.v1',
  experimentAssign: 'juggernaut.experiment.assign.v1',
  experimentAllocate: 'juggernaut.experiment.allocate.v1',
  experimentAllocationGet: 'juggernaut.experiment.allocation.get.v1',
  experimentSampleSize: 'juggernaut.experiment.samplesize.v1',
  ledgerTransactionPost: 'juggernaut.ledger.transaction.post.v1',
  ledgerTransactionReverse: 'juggernaut.ledger.transaction.reverse.v1',
  ledgerTransactionGet: 'juggernaut.ledger.transaction.get.v1',
  ledgerTransactionList: 'juggernaut.ledger.transaction.list.v1',
  ledgerAccountCreate: 'juggernaut.ledger.account.create.v1',
  ledgerAccountList: 'juggernaut.ledger.account.list.v1',
  ledgerBalanceGet: 'juggernaut.ledger.balance.get.v1',
  ledgerPnlGet: 'juggernaut.ledger.pnl.get.v1',
  ledgerSummaryGet: 'juggernaut.ledger.summary.get.v1',
  ledgerRateSet: 'juggernaut.ledger.rate.set.v1',
  ledgerRateList: 'juggernaut.ledger.rate.list.v1',
  ledgerReconciliationGet: 'juggernaut.ledger.reconciliation.get.v1',
  ledgerReconciliationList: 'juggernaut.ledger.reconciliation.list.v1',
  policyGet: 'juggernaut.policy.get.v1',
  approvalRequest: 'juggernaut.approval.request.v1',
  approvalGet: 'juggernaut.approval.get.v1',
  goalGet: 'juggernaut.goal.get.v1',
  dispatchHealth: 'juggernaut.dispatch.health.v1',
  changeCreate: 'juggernaut.change.create.v1',
  changeGet: 'juggernaut.change.get.v1',
  changeList: 'juggernaut.change.list.v1',
  repositoryRegister: 'juggernaut.repository.register.v1',
  repositoryList: 'juggernaut.repository.list.v1',
  repositoryGet: 'juggernaut.repository.get.v1',
  // Conversations: a runner writing an answer asks governance for the turn, reads on the caller's behalf, records the answer.
  conversationContext: 'juggernaut.conversation.context.v1',
  conversationRead: 'juggernaut.conversation.read.v1',
  conversationSummary: 'juggernaut.conversation.summary.v1',
  conversationReply: 'juggernaut.conversation.reply.v1',
  // Core NATS signals: fast notifications whose loss is covered by a fallback (polling, heartbeats).
  runnerWake: 'juggernaut.runner.wake.v1',
  taskAbort: 'juggernaut.task.abort.v1',
  workerHeartbeat: 'juggernaut.worker.heartbeat.v1',
  conversationStream: 'juggernaut.conversation.stream.v1',
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
  experimentAllocation: 'juggernaut.experiment.allocation.v1',
  ledgerPosted: 'juggernaut.ledger.posted.v1',
  ledgerReconciled: 'juggernaut.ledger.reconciled.v1',
  alertRaised: 'juggernaut.alert.raised.v1',
  changeOpened: 'juggernaut.change.opened.v1',
  changeMerged: 'juggernaut.change.merged.v1',
  changeClosed: 'juggernaut.change.closed.v1',
  deadLetter: 'juggernaut.deadletter.v1',
  // Governance events. policy.changed is captured by the events stream and, like every JetStream
  // publish, also reaches core subscribers at once: runners and the dispatcher listen on it.
  policyChanged: 'juggernaut.policy.changed.v1',
  approvalRequested: 'juggernaut.approval.requested.v1',
  approvalDecided: 'juggernaut.approval.decided.v1',
  alertResolved: 'juggernaut.alert.resolved.v1',
} as const;

export type Subject = (typeof Subjects)[keyof typeof Subjects];

/** Subjects captured by a JetStream stream, with the payload each carries. */
export interface StreamSubjectMap {
  'juggernaut.revenue.recorded.v1': RevenueRecordedV1;
  'juggernaut.cost.recorded.v1': CostRecordedV1;
  'juggernaut.experiment.exposure.v1': ExperimentExposureV1;
  'juggernaut.experiment.conversion.v1': ExperimentConversionV1;
  'juggernaut.log.append.v1': CreateExecutionLogDto;
  'juggernaut.payment.event.v1': PaymentEventV1;
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
  'juggernaut.experiment.allocation.v1': ExperimentAllocationV1;
  'juggernaut.ledger.posted.v1': LedgerPostedV1;
  'juggernaut.ledger.reconciled.v1': LedgerReconciledV1;
  'juggernaut.alert.raised.v1': AlertRaisedV1;
  'juggernaut.change.opened.v1': ChangeEventV1;
  'juggernaut.change.merged.v1': ChangeEventV1;
  'juggernaut.change.closed.v1': ChangeEventV1;
  'juggernaut.deadletter.v1': DeadLetterV1;
  'juggernaut.policy.changed.v1': PolicyDocumentV1;
  'juggernaut.approval.requested.v1': ApprovalV1;
  'juggernaut.approval.decided.v1': ApprovalV1;
  'juggernaut.alert.resolved.v1': AlertResolvedV1;
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
  'juggernaut.task.count.v1': { request: CountTasksV1; reply: TaskCountsV1 };
  'juggernaut.task.cancel.v1': { request: CancelTaskV1; reply: TaskViewV1 };
  'juggernaut.task.retry.v1': { request: TaskIdV1; reply: TaskViewV1 };
  'juggernaut.schedule.create.v1': { request: CreateScheduleDto; reply: ScheduleViewV1 };
  'juggernaut.schedule.list.v1': { request: Empty; reply: ScheduleViewV1[] };
  'juggernaut.schedule.delete.v1': { request: ScheduleNameV1; reply: { deleted: boolean } };
  'juggernaut.tasktype.limits.set.v1': { request: SetTaskTypeLimitsV1; reply: TaskTypeLimitsViewV1 };
  'juggernaut.tasktype.limits.list.v1': { request: Empty; reply: TaskTypeLimitsViewV1[] };
  'juggernaut.tasktype.pause.v1': { request: PauseTaskTypeV1; reply: TaskTypeLimitsViewV1 };
  'juggernaut.tasktype.resume.v1': { request: TaskTypeNameV1; reply: TaskTypeLimitsViewV1 };
  'juggernaut.task.submit.batch.v1': { request: SubmitTaskBatchV1; reply: TaskBatchReplyV1 };
  'juggernaut.task.cancel.bulk.v1': { request: BulkTasksV1; reply: BulkTasksReplyV1 };
  'juggernaut.task.retry.bulk.v1': { request: BulkTasksV1; reply: BulkTasksReplyV1 };
  'juggernaut.task.snooze.v1': { request: SnoozeTaskV1; reply: { snoozed: boolean } };
  'juggernaut.task.retention.get.v1': { request: Empty; reply: TaskRetentionV1 };
  'juggernaut.task.block.v1': { request: BlockTaskV1; reply: { blocked: boolean } };
  'juggernaut.task.unblock.v1': { request: UnblockTasksV1; reply: { unblocked: string[] } };
  'juggernaut.budget.reserve.v1': { request: ReserveBudgetV1; reply: BudgetReservationV1 };
  'juggernaut.budget.settle.v1': { request: SettleBudgetV1; reply: BudgetSettlementV1 };
  'juggernaut.budget.usage.v1': { request: Empty; reply: BudgetUsageV1 };
  'juggernaut.goal.note.add.v1': { request: AddGoalNoteV1; reply: GoalNoteV1 };
  'juggernaut.goal.note.list.v1': { request: ListGoalNotesV1; reply: GoalNoteV1[] };
  'juggernaut.experiment.create.v1': { request: CreateExperimentDto; reply: ExperimentV1 };
  'juggernaut.experiment.get.v1': { request: ExperimentIdV1; reply: ExperimentWithDecisionsV1 };
  'juggernaut.experiment.list.v1': { request: ListExperimentsV1; reply: ExperimentPageV1 };
  'juggernaut.experiment.start.v1': { request: ExperimentActionV1; reply: ExperimentV1 };
  'juggernaut.experiment.stop.v1': { request: ExperimentActionV1; reply: ExperimentV1 };
  'juggernaut.experiment.results.v1': { request: ExperimentIdV1; reply: ExperimentResultsV1 };
  'juggernaut.experiment.evaluate.v1': { request: ExperimentIdV1; reply: DecisionV1 };
  'juggernaut.experiment.assign.v1': { request: AssignUnitV1; reply: AssignmentV1 };
  'juggernaut.experiment.allocate.v1': { request: Empty; reply: ExperimentAllocationV1 };
  'juggernaut.experiment.allocation.get.v1': { request: Empty; reply: ExperimentAllocationV1 | null };
  'juggernaut.experiment.samplesize.v1': { request: SampleSizeQueryV1; reply: SampleSizeV1 };
  'juggernaut.ledger.transaction.post.v1': { request: PostLedgerTransactionV1; reply: LedgerTransactionViewV1 };
  'juggernaut.ledger.transaction.reverse.v1': { request: ReverseLedgerTransactionV1; reply: LedgerTransactionViewV1 };
  'juggernaut.ledger.transaction.get.v1': { request: LedgerTransactionIdV1; reply: LedgerTransactionViewV1 };
  'juggernaut.ledger.transaction.list.v1': { request: ListLedgerTransactionsV1; reply: LedgerTransactionPageV1 };
  'juggernaut.ledger.account.create.v1': { request: CreateLedgerAccountV1; reply: LedgerAccountViewV1 };
  'juggernaut.ledger.account.list.v1': { request: ListLedgerAccountsV1; reply: LedgerAccountViewV1[] };
  'juggernaut.ledger.balance.get.v1': { request: GetLedgerBalanceV1; reply: LedgerBalanceViewV1 };
  'juggernaut.ledger.pnl.get.v1': { request: GetPnlV1; reply: PnlReportV1 };
  'juggernaut.ledger.summary.get.v1': { request: Empty; reply: LedgerSummaryV1 };
  'juggernaut.ledger.rate.set.v1': { request: SetExchangeRateV1; reply: ExchangeRateViewV1 };
  'juggernaut.ledger.rate.list.v1': { request: Empty; reply: ExchangeRateViewV1[] };
  'juggernaut.ledger.reconciliation.get.v1': { request: ReconciliationIdV1; reply: ReconciliationV1 };
  'juggernaut.ledger.reconciliation.list.v1': { request: ListReconciliationsV1; reply: ReconciliationPageV1 };
  'juggernaut.policy.get.v1': { request: Empty; reply: PolicyDocumentV1 };
  'juggernaut.approval.request.v1': { request: RequestApprovalV1; reply: ApprovalV1 };
  'juggernaut.approval.get.v1': { request: ApprovalIdV1; reply: ApprovalV1 };
  'juggernaut.goal.get.v1': { request: GoalIdV1; reply: GoalV1 };
  'juggernaut.dispatch.health.v1': { request: DispatchHealthQueryV1; reply: DispatchHealthV1 };
  'juggernaut.change.create.v1': { request: CreateChangeV1; reply: ChangeViewV1 };
  'juggernaut.change.get.v1': { request: ChangeIdV1; reply: ChangeViewV1 };
  'juggernaut.change.list.v1': { request: ListChangesV1; reply: ChangePageV1 };
  'juggernaut.repository.register.v1': { request: RegisterRepositoryV1; reply: RepositoryV1 };
  'juggernaut.repository.list.v1': { request: Empty; reply: RepositoryV1[] };
  'juggernaut.repository.get.v1': { request: RepositoryNameV1; reply: RepositoryV1 };
  'juggernaut.conversation.context.v1': { request: ConversationTurnRefV1; reply: ConversationContextV1 };
  'juggernaut.conversation.read.v1': { request: ConversationReadV1; reply: unknown };
  'juggernaut.conversation.summary.v1': { request: AddConversationSummaryV1; reply: ConversationSummaryV1 };
  'juggernaut.conversation.reply.v1': { request: RecordConversationReplyV1; reply: ConversationReplyRecordedV1 };
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
  'juggernaut.payment.event.v1': PaymentEventV1,
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
  'juggernaut.experiment.allocation.v1': ExperimentAllocationV1,
  'juggernaut.ledger.posted.v1': LedgerPostedV1,
  'juggernaut.ledger.reconciled.v1': LedgerReconciledV1,
  'juggernaut.alert.raised.v1': AlertRaisedV1,
  'juggernaut.change.opened.v1': ChangeEventV1,
  'juggernaut.change.merged.v1': ChangeEventV1,
  'juggernaut.change.closed.v1': ChangeEventV1,
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
  'juggernaut.task.count.v1': CountTasksV1,
  'juggernaut.task.cancel.v1': CancelTaskV1,
  'juggernaut.task.retry.v1': TaskIdV1,
  'juggernaut.schedule.create.v1': CreateScheduleDto,
  'juggernaut.schedule.list.v1': Empty,
  'juggernaut.schedule.delete.v1': ScheduleNameV1,
  'juggernaut.tasktype.limits.set.v1': SetTaskTypeLimitsV1,
  'juggernaut.tasktype.limits.list.v1': Empty,
  'juggernaut.tasktype.pause.v1': PauseTaskTypeV1,
  'juggernaut.tasktype.resume.v1': TaskTypeNameV1,
  'juggernaut.task.submit.batch.v1': SubmitTaskBatchV1,
  'juggernaut.task.cancel.bulk.v1': BulkTasksV1,
  'juggernaut.task.retry.bulk.v1': BulkTasksV1,
  'juggernaut.task.snooze.v1': SnoozeTaskV1,
  'juggernaut.task.retention.get.v1': Empty,
  'juggernaut.task.block.v1': BlockTaskV1,
  'juggernaut.task.unblock.v1': UnblockTasksV1,
  'juggernaut.budget.reserve.v1': ReserveBudgetV1,
  'juggernaut.budget.settle.v1': SettleBudgetV1,
  'juggernaut.budget.usage.v1': Empty,
  'juggernaut.goal.note.add.v1': AddGoalNoteV1,
  'juggernaut.goal.note.list.v1': ListGoalNotesV1,
  'juggernaut.experiment.create.v1': CreateExperimentDto,
  'juggernaut.experiment.get.v1': ExperimentIdV1,
  'juggernaut.experiment.list.v1': ListExperimentsV1,
  'juggernaut.experiment.start.v1': ExperimentActionV1,
  'juggernaut.experiment.stop.v1': ExperimentActionV1,
  'juggernaut.experiment.results.v1': ExperimentIdV1,
  'juggernaut.experiment.evaluate.v1': ExperimentIdV1,
  'juggernaut.experiment.assign.v1': AssignUnitV1,
  'juggernaut.experiment.allocate.v1': Empty,
  'juggernaut.experiment.allocation.get.v1': Empty,
  'juggernaut.experiment.samplesize.v1': SampleSizeQueryV1,
  'juggernaut.ledger.transaction.post.v1': PostLedgerTransactionV1,
  'juggernaut.ledger.transaction.reverse.v1': ReverseLedgerTransactionV1,
  'juggernaut.ledger.transaction.get.v1': LedgerTransactionIdV1,
  'juggernaut.ledger.transaction.list.v1': ListLedgerTransactionsV1,
  'juggernaut.ledger.account.create.v1': CreateLedgerAccountV1,
  'juggernaut.ledger.account.list.v1': ListLedgerAccountsV1,
  'juggernaut.ledger.balance.get.v1': GetLedgerBalanceV1,
  'juggernaut.ledger.pnl.get.v1': GetPnlV1,
  'juggernaut.ledger.summary.get.v1': Empty,
  'juggernaut.ledger.rate.set.v1': SetExchangeRateV1,
  'juggernaut.ledger.rate.list.v1': Empty,
  'juggernaut.ledger.reconciliation.get.v1': ReconciliationIdV1,
  'juggernaut.ledger.reconciliation.list.v1': ListReconciliationsV1,
  'juggernaut.policy.changed.v1': PolicyDocumentV1,
  'juggernaut.approval.requested.v1': ApprovalV1,
  'juggernaut.approval.decided.v1': ApprovalV1,
  'juggernaut.policy.get.v1': Empty,
  'juggernaut.approval.request.v1': RequestApprovalV1,
  'juggernaut.approval.get.v1': ApprovalIdV1,
  'juggernaut.alert.resolved.v1': AlertResolvedV1,
  'juggernaut.goal.get.v1': GoalIdV1,
  'juggernaut.dispatch.health.v1': DispatchHealthQueryV1,
  'juggernaut.change.create.v1': CreateChangeV1,
  'juggernaut.change.get.v1': ChangeIdV1,
  'juggernaut.change.list.v1': ListChangesV1,
  'juggernaut.repository.register.v1': RegisterRepositoryV1,
  'juggernaut.repository.list.v1': Empty,
  'juggernaut.repository.get.v1': RepositoryNameV1,
  'juggernaut.conversation.context.v1': ConversationTurnRefV1,
  'juggernaut.conversation.read.v1': ConversationReadV1,
  'juggernaut.conversation.summary.v1': AddConversationSummaryV1,
  'juggernaut.conversation.reply.v1': RecordConversationReplyV1,
};

/** Core NATS signals (every replica of a listener receives each one; loss is covered by a fallback). */
export interface SignalSubjectMap {
  'juggernaut.runner.wake.v1': { reason: string };
  'juggernaut.task.abort.v1': { taskId: string; workerId: string | null; reason: string };
  'juggernaut.worker.heartbeat.v1': WorkerHeartbeatV1;
  'juggernaut.policy.changed.v1': PolicyDocumentV1;
  'juggernaut.conversation.stream.v1': ConversationStreamEventV1;
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
      Subjects.revenueRecorded,
      Subjects.costRecorded,
      Subjects.experimentExposure,
      Subjects.experimentConversion,
      Subjects.logAppend,
      Subjects.paymentEvent,
    ],
  },
  events: {
    name: 'JUGGERNAUT_EVENTS',
    description: 'Outbound domain events for other systems and dashboards.',
    subjects: [
      Subjects.taskCreated,
      Subjects.taskClaimed,
      Subjects.taskSucceeded,
      Subjects.taskFailed,
      Subjects.taskDead,
      Subjects.taskCancelled,
      Subjects.workerOnline,
      Subjects.workerOffline,
      Subjects.opportunityCreated,
      Subjects.experimentStarted,
      Subjects.experimentConcluded,
      Subjects.experimentAllocation,
      Subjects.ledgerPosted,
      Subjects.alertRaised,
      Subjects.ledgerReconciled,
      Subjects.changeOpened,
      Subjects.changeMerged,
      Subjects.changeClosed,
      Subjects.policyChanged,
      Subjects.approvalRequested,
      Subjects.approvalDecided,
      Subjects.alertResolved,
    ],
  },
  deadLetter: {
    name: 'JUGGERNAUT_DEADLETTER',
    description: 'Messages that failed validation or processing, with the reason.',
    subjects: [Subjects.deadLetter],
  },
} as const satisfies Record<string, StreamDefinition>;
