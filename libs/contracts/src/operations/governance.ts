import {
  BudgetReservationV1,
  BudgetSettlementV1,
  BudgetUsageV1,
  ReserveBudgetV1,
  SettleBudgetV1,
} from '../agents/budget.v1';
import { AddGoalNoteV1, GoalNoteV1, ListGoalNotesV1 } from '../agents/goal-notes.v1';
import { BlockTaskV1, UnblockTasksV1 } from '../agents/task-block.v1';
import { DispatchHealthQueryV1, DispatchHealthV1 } from '../alerts/dispatch-health.v1';
import { ApprovalIdV1, ApprovalV1, RequestApprovalV1 } from '../approvals/approval.v1';
import {
  AddConversationSummaryV1,
  type ConversationContextV1,
  ConversationReadV1,
  type ConversationReplyRecordedV1,
  ConversationSummaryV1,
  ConversationTurnRefV1,
  RecordConversationReplyV1,
} from '../conversations/conversation.v1';
import { GoalIdV1, GoalV1 } from '../goals/goal.v1';
import { CreateExecutionLogDto } from '../logs/execution-log.v1';
import { CreateOpportunityDto, OpportunityV1 } from '../opportunities/opportunity.v1';
import { PolicyDocumentV1 } from '../policy/policy.v1';
import { Empty } from '../tasks/dispatch.v1';
import { operation, replyOf } from './operation';

/**
 * What runners and services ask governance-api (policy, approvals, goals, budgets, goal memory,
 * conversations, opportunities, logs) and the dispatcher's health and task blocking. None of these
 * is a REST proxy: governance-api owns them, and its REST routes are its own.
 */
export const GovernanceOperations = {
  opportunityCreate: operation({
    subject: 'juggernaut.opportunity.create.v1',
    request: CreateOpportunityDto,
    reply: OpportunityV1,
    description: 'Record a revenue opportunity an agent found.',
  }),
  logCreate: operation({
    subject: 'juggernaut.log.create.v1',
    request: CreateExecutionLogDto,
    reply: replyOf<{ id: string }>(),
    description: 'Append an execution log line and answer its id.',
  }),
  taskBlock: operation({
    subject: 'juggernaut.task.block.v1',
    request: BlockTaskV1,
    reply: replyOf<{ blocked: boolean }>(),
    description: 'Park a task until something it waits for (budget, an approval) is there.',
  }),
  taskUnblock: operation({
    subject: 'juggernaut.task.unblock.v1',
    request: UnblockTasksV1,
    reply: replyOf<{ unblocked: string[] }>(),
    description: 'Put parked tasks back in the queue.',
  }),
  budgetReserve: operation({
    subject: 'juggernaut.budget.reserve.v1',
    request: ReserveBudgetV1,
    reply: BudgetReservationV1,
    description: 'Reserve model spend against the daily caps before a model call.',
  }),
  budgetSettle: operation({
    subject: 'juggernaut.budget.settle.v1',
    request: SettleBudgetV1,
    reply: BudgetSettlementV1,
    description: 'Settle a reservation at what the model call cost.',
  }),
  budgetUsage: operation({
    subject: 'juggernaut.budget.usage.v1',
    request: Empty,
    reply: BudgetUsageV1,
    description: 'Model spend today against the caps.',
  }),
  goalNoteAdd: operation({
    subject: 'juggernaut.goal.note.add.v1',
    request: AddGoalNoteV1,
    reply: GoalNoteV1,
    description: "Add a note to a goal's memory.",
  }),
  goalNoteList: operation({
    subject: 'juggernaut.goal.note.list.v1',
    request: ListGoalNotesV1,
    reply: [GoalNoteV1],
    description: "A goal's notes, newest first.",
  }),
  policyGet: operation({
    subject: 'juggernaut.policy.get.v1',
    request: Empty,
    reply: PolicyDocumentV1,
    description: 'The policy in force.',
  }),
  approvalRequest: operation({
    subject: 'juggernaut.approval.request.v1',
    request: RequestApprovalV1,
    reply: ApprovalV1,
    description: 'Ask a human to approve a risky action.',
  }),
  approvalGet: operation({
    subject: 'juggernaut.approval.get.v1',
    request: ApprovalIdV1,
    reply: ApprovalV1,
    description: 'An approval and its decision.',
  }),
  goalGet: operation({
    subject: 'juggernaut.goal.get.v1',
    request: GoalIdV1,
    reply: GoalV1,
    description: 'A goal and its progress.',
  }),
  dispatchHealth: operation({
    subject: 'juggernaut.dispatch.health.v1',
    request: DispatchHealthQueryV1,
    reply: DispatchHealthV1,
    description: "The dispatcher's view of stuck tasks and silent workers, for the monitor.",
  }),
  conversationContext: operation({
    subject: 'juggernaut.conversation.context.v1',
    request: ConversationTurnRefV1,
    reply: replyOf<ConversationContextV1>(),
    description: 'The turn a runner is answering, with the conversation so far.',
  }),
  conversationRead: operation({
    subject: 'juggernaut.conversation.read.v1',
    request: ConversationReadV1,
    reply: replyOf<unknown>(),
    description: "A read on the asking caller's behalf (the tools of the read-only agent).",
  }),
  conversationSummary: operation({
    subject: 'juggernaut.conversation.summary.v1',
    request: AddConversationSummaryV1,
    reply: ConversationSummaryV1,
    description: 'Store a summary of the conversation so far.',
  }),
  conversationReply: operation({
    subject: 'juggernaut.conversation.reply.v1',
    request: RecordConversationReplyV1,
    reply: replyOf<ConversationReplyRecordedV1>(),
    description: 'Record the answer of a turn.',
  }),
} as const;
