import { AlertRaisedV1 } from '../alerts/alert-raised.v1';
import { AlertResolvedV1 } from '../alerts/alert-resolved.v1';
import { ApprovalV1 } from '../approvals/approval.v1';
import { ChangeEventV1 } from '../changes/change-events.v1';
import { DeadLetterV1 } from '../deadletter/dead-letter.v1';
import { ExperimentAllocationV1 } from '../experiments/experiment-allocation.v1';
import {
  ExperimentConversionV1,
  ExperimentExposureV1,
  ExperimentLifecycleV1,
} from '../experiments/experiment-events.v1';
import { LedgerPostedV1 } from '../ledger/ledger-posted.v1';
import { CreateExecutionLogDto } from '../logs/execution-log.v1';
import { OpportunityV1 } from '../opportunities/opportunity.v1';
import { LedgerReconciledV1 } from '../payments/reconciliation.v1';
import { PaymentEventV1 } from '../payments/payment-event.v1';
import { PolicyDocumentV1 } from '../policy/policy.v1';
import { CostRecordedV1, RevenueRecordedV1 } from '../revenue/revenue-recorded.v1';
import { TaskEventV1 } from '../tasks/task.v1';
import { WorkerPresenceV1 } from '../workers/worker-events.v1';
import { event } from './operation';

/**
 * Messages captured by a JetStream stream (Streams in subjects.ts says which), each with the class
 * that validates its payload: consumers validate against it before any handler runs.
 */
export const StreamEvents = {
  // Inbound from other systems and from runners: captured by JetStream, applied exactly once.
  revenueRecorded: event('juggernaut.revenue.recorded.v1', RevenueRecordedV1),
  costRecorded: event('juggernaut.cost.recorded.v1', CostRecordedV1),
  experimentExposure: event('juggernaut.experiment.exposure.v1', ExperimentExposureV1),
  experimentConversion: event('juggernaut.experiment.conversion.v1', ExperimentConversionV1),
  logAppend: event('juggernaut.log.append.v1', CreateExecutionLogDto),
  // Payment providers' events, accepted by governance-api's signed webhooks (only it publishes them).
  paymentEvent: event('juggernaut.payment.event.v1', PaymentEventV1),
  // Outbound events.
  taskCreated: event('juggernaut.task.created.v1', TaskEventV1),
  taskClaimed: event('juggernaut.task.claimed.v1', TaskEventV1),
  taskSucceeded: event('juggernaut.task.succeeded.v1', TaskEventV1),
  taskFailed: event('juggernaut.task.failed.v1', TaskEventV1),
  taskDead: event('juggernaut.task.dead.v1', TaskEventV1),
  taskCancelled: event('juggernaut.task.cancelled.v1', TaskEventV1),
  workerOnline: event('juggernaut.worker.online.v1', WorkerPresenceV1),
  workerOffline: event('juggernaut.worker.offline.v1', WorkerPresenceV1),
  opportunityCreated: event('juggernaut.opportunity.created.v1', OpportunityV1),
  experimentStarted: event('juggernaut.experiment.started.v1', ExperimentLifecycleV1),
  experimentConcluded: event('juggernaut.experiment.concluded.v1', ExperimentLifecycleV1),
  experimentAllocation: event('juggernaut.experiment.allocation.v1', ExperimentAllocationV1),
  ledgerPosted: event('juggernaut.ledger.posted.v1', LedgerPostedV1),
  ledgerReconciled: event('juggernaut.ledger.reconciled.v1', LedgerReconciledV1),
  alertRaised: event('juggernaut.alert.raised.v1', AlertRaisedV1),
  changeOpened: event('juggernaut.change.opened.v1', ChangeEventV1),
  changeMerged: event('juggernaut.change.merged.v1', ChangeEventV1),
  changeClosed: event('juggernaut.change.closed.v1', ChangeEventV1),
  deadLetter: event('juggernaut.deadletter.v1', DeadLetterV1),
  // Governance events. policy.changed is captured by the events stream and, like every JetStream
  // publish, also reaches core subscribers at once: runners and the dispatcher listen on it.
  policyChanged: event('juggernaut.policy.changed.v1', PolicyDocumentV1),
  approvalRequested: event('juggernaut.approval.requested.v1', ApprovalV1),
  approvalDecided: event('juggernaut.approval.decided.v1', ApprovalV1),
  alertResolved: event('juggernaut.alert.resolved.v1', AlertResolvedV1),
} as const;

/** Core NATS signals: fast notifications whose loss is covered by a fallback (polling, heartbeats). Payloads: SignalSubjectMap. */
export const SignalSubjects = {
  runnerWake: 'juggernaut.runner.wake.v1',
  /** Dispatcher replicas to each other: a runner handed these claims back (their answers never reached it). */
  claimsHandedBack: 'juggernaut.task.claims.handed-back.v1',
  /** Dispatcher replicas to each other: "still here", at each reaper tick (and "leaving" at shutdown). */
  dispatcherPresence: 'juggernaut.dispatch.presence.v1',
  taskAbort: 'juggernaut.task.abort.v1',
  workerHeartbeat: 'juggernaut.worker.heartbeat.v1',
  conversationStream: 'juggernaut.conversation.stream.v1',
} as const;
