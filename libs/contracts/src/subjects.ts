import { PolicyDocumentV1 } from './policy/policy.v1';
import type { ConversationStreamEventV1 } from './conversations/conversation.v1';
import { WorkerHeartbeatV1 } from './tasks/dispatch.v1';
import { type Ctor, Operations, type ReplyOf, SignalSubjects, StreamEvents } from './operations';

/*
 * The subject tables, derived from the declarations in ./operations: each request/reply operation
 * (Operations: subject, request class, reply, REST route) and each stream event (StreamEvents:
 * subject, payload class) is declared once there, and nowhere else.
 */

type Ops = typeof Operations;
type Events = typeof StreamEvents;
type Flat<T> = { readonly [K in keyof T]: T[K] };

const subjectsOf = <T extends Record<string, { subject: string }>>(specs: T): { [K in keyof T]: T[K]['subject'] } =>
  Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, spec.subject])) as {
    [K in keyof T]: T[K]['subject'];
  };

/**
 * Every NATS subject Juggernaut speaks, by name, named `juggernaut.<domain>.<event>.v<N>`: the
 * stream events, the request/reply operations and the core NATS signals.
 * A breaking payload change is a new version beside the old one.
 */
export const Subjects: Flat<
  { [K in keyof Events]: Events[K]['subject'] } & { [K in keyof Ops]: Ops[K]['subject'] } & typeof SignalSubjects
> = { ...subjectsOf(StreamEvents), ...subjectsOf(Operations), ...SignalSubjects };

export type Subject = (typeof Subjects)[keyof typeof Subjects];

/** Subjects captured by a JetStream stream, with the payload each carries. */
export type StreamSubjectMap = {
  [K in keyof Events as Events[K]['subject']]: InstanceType<Events[K]['payload']>;
};
export type StreamSubject = keyof StreamSubjectMap;

/** Request/reply subjects: what the requester sends and what the responder answers. */
export type RequestSubjectMap = {
  [K in keyof Ops as Ops[K]['subject']]: {
    request: InstanceType<Ops[K]['request']>;
    reply: ReplyOf<Ops[K]['reply']>;
  };
};
export type RequestSubject = keyof RequestSubjectMap;

export type PayloadOf<S extends StreamSubject | RequestSubject> = S extends StreamSubject
  ? StreamSubjectMap[S]
  : S extends RequestSubject
    ? RequestSubjectMap[S]['request']
    : never;

/** The class that validates each subject's payload; consumers validate against it before any handler runs. */
export const PayloadClasses = Object.fromEntries([
  ...Object.values(StreamEvents).map((e) => [e.subject, e.payload]),
  ...Object.values(Operations).map((o) => [o.subject, o.request]),
]) as { [S in StreamSubject | RequestSubject]: Ctor<PayloadOf<S>> };

/** Core NATS signals (every replica of a listener receives each one; loss is covered by a fallback). */
export interface SignalSubjectMap {
  /** `origin`: the dispatcher replica that signalled (the others serve their held claims on it). */
  'juggernaut.runner.wake.v1': { reason: string; origin?: string };
  /**
   * From the dispatcher replica that took a runner's hand-back of unanswered claims, to the others:
   * a claim of these ids may have reached one of them (one that stalled), which hands back what it
   * leased to them. `origin` as for the wake signal.
   */
  'juggernaut.task.claims.handed-back.v1': { workerId: string; claimIds: string[]; reason: string; origin: string };
  /**
   * A dispatcher replica's presence, at each of its reaper ticks (`intervalMs` apart), and once with
   * `leaving` when it stops: while one falls silent the others' reapers hold back (it may be sitting
   * on runners' heartbeats and reports). `origin` as for the wake signal.
   */
  'juggernaut.dispatch.presence.v1': { origin: string; intervalMs: number; leaving?: boolean };
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
