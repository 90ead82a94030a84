import { BadRequestException, ForbiddenException, Injectable, type Type } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import {
  type ConversationRead,
  GetLedgerBalanceV1,
  GetPnlV1,
  ListExperimentsV1,
  ListLedgerTransactionsV1,
  ListTasksV1,
} from '@juggernaut/contracts';
import { plainToInstance } from 'class-transformer';
import { isUUID, validate, type ValidationError } from 'class-validator';
import { AlertsController, ListAlertsQuery } from '../alerts/alerts.controller';
import { ApprovalsController, ListApprovalsQuery } from '../approvals/approvals.controller';
import { AuditController, ListAuditQuery } from '../audit/audit.controller';
import { ApiKeysController } from '../auth/api-keys.controller';
import { type Role, ROLES_KEY } from '../auth/roles';
import { BudgetsController } from '../budgets/budgets.controller';
import { gatewayController } from '../gateway/gateway';
import { GoalsController, ListGoalsQuery } from '../goals/goals.controller';
import { ListLogsQuery, LogsController } from '../logs/logs.controller';
import { ListWorkersQuery, WorkersController } from '../workers/workers.controller';

/** What a read takes: nothing, the route's query (validated with its own class), or the id in its path. */
type Input = { kind: 'none' } | { kind: 'query'; dto: Type<object> } | { kind: 'id'; shape: 'uuid' | 'name' };

interface ReadRoute {
  controller: Type<object>;
  method: string;
  input: Input;
}

function route<C extends object>(
  controller: Type<C>,
  method: keyof C & string,
  input: Input = { kind: 'none' },
): ReadRoute {
  return { controller, method, input };
}

const query = (dto: Type<object>): Input => ({ kind: 'query', dto });
const byId: Input = { kind: 'id', shape: 'uuid' };

const LedgerController = gatewayController('ledger');
const TasksController = gatewayController('tasks');
const ExperimentsController = gatewayController('experiments');

/** Each read is the REST route's handler itself: the same query class, the same answer, the same redaction, the same roles. */
export const READ_ROUTES: Readonly<Record<ConversationRead, ReadRoute>> = {
  'ledger.summary': route(LedgerController, 'summary'),
  'ledger.balances': route(LedgerController, 'balance', query(GetLedgerBalanceV1)),
  'ledger.pnl': route(LedgerController, 'pnl', query(GetPnlV1)),
  'ledger.transactions': route(LedgerController, 'list', query(ListLedgerTransactionsV1)),
  'ledger.transaction': route(LedgerController, 'get', byId),
  tasks: route(TasksController, 'list', query(ListTasksV1)),
  task: route(TasksController, 'get', byId),
  goals: route(GoalsController, 'list', query(ListGoalsQuery)),
  goal: route(GoalsController, 'get', byId),
  'goal.progress': route(GoalsController, 'progress', byId),
  experiments: route(ExperimentsController, 'list', query(ListExperimentsV1)),
  experiment: route(ExperimentsController, 'get', byId),
  'experiment.results': route(ExperimentsController, 'results', byId),
  workers: route(WorkersController, 'list', query(ListWorkersQuery)),
  worker: route(WorkersController, 'get', { kind: 'id', shape: 'name' }),
  'budgets.usage': route(BudgetsController, 'usage'),
  alerts: route(AlertsController, 'list', query(ListAlertsQuery)),
  approvals: route(ApprovalsController, 'list', query(ListApprovalsQuery)),
  logs: route(LogsController, 'list', query(ListLogsQuery)),
  audit: route(AuditController, 'list', query(ListAuditQuery)),
  'api-keys': route(ApiKeysController, 'list'),
};

function messages(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => (prefix ? `${prefix}${m}` : m)),
    ...messages(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * Reads on behalf of a conversation's caller, through the REST routes' own handlers: the caller's
 * role must be one the route allows (its `@Roles`), and the input is validated as the global
 * validation pipe validates a request (unknown fields refused).
 */
@Injectable()
export class ConversationReads {
  constructor(
    private readonly modules: ModuleRef,
    private readonly reflector: Reflector,
  ) {}

  /** The roles the REST route of a read allows. */
  rolesOf(resource: ConversationRead): readonly Role[] {
    const r = READ_ROUTES[resource];
    const handler = (r.controller.prototype as Record<string, unknown>)[r.method] as (...args: unknown[]) => unknown;
    return this.reflector.get<Role[] | undefined>(ROLES_KEY, handler) ?? [];
  }

  async read(resource: ConversationRead, role: string, input: Record<string, unknown> | undefined): Promise<unknown> {
    const allowed = this.rolesOf(resource);
    if (!allowed.includes(role as Role)) {
      throw new ForbiddenException(
        `a ${role} key may not read ${resource} (allowed: ${allowed.join(', ') || 'nobody'}), so this conversation may not either`,
      );
    }
    const r = READ_ROUTES[resource];
    const arg = await this.argumentOf(r.input, input ?? {});
    const controller = this.modules.get(r.controller, { strict: false }) as Record<
      string,
      (a?: unknown) => Promise<unknown>
    >;
    return arg === undefined ? controller[r.method]!() : controller[r.method]!(arg);
  }

  private async argumentOf(input: Input, given: Record<string, unknown>): Promise<unknown> {
    if (input.kind === 'none') {
      if (Object.keys(given).length)
        throw new BadRequestException(`this read takes no parameters, got ${Object.keys(given).join(', ')}`);
      return undefined;
    }
    if (input.kind === 'id') {
      const extra = Object.keys(given).filter((k) => k !== 'id');
      if (extra.length) throw new BadRequestException(`property ${extra[0]} should not exist`);
      const id = given['id'];
      if (typeof id !== 'string' || !id || id.length > 200)
        throw new BadRequestException('id must be a non-empty string');
      if (input.shape === 'uuid' && !isUUID(id)) throw new BadRequestException('id must be a UUID');
      return id;
    }
    const dto = plainToInstance(input.dto, given);
    const errors = await validate(dto, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    });
    if (errors.length) throw new BadRequestException(messages(errors).join('; '));
    return dto;
  }
}
