import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  type PipeTransform,
  Post,
  Put,
  Query,
  type Type,
} from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  type AnyOperation,
  Operations,
  pathParams,
  replyClass,
  type RequestSubject,
  type RestRoute,
} from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import { redact } from '@juggernaut/observability';
import { AuditedInHandler } from '../audit/audited.decorator';
import { type AuditTrail, Trail } from '../audit/audit-trail';
import { CurrentCaller } from '../auth/caller.decorator';
import { type Caller, type Role, Roles } from '../auth/roles';
import { checkedCursor } from '../http/checked-cursor';
import { TaskTypeParamPipe } from '../tasks/task-type.pipe';

/**
 * The generic gateway: every operation declared in libs/contracts with a REST route becomes a route
 * of governance-api that checks the caller's role, validates the query, body and path parameters
 * with the declared classes, writes the audit entries of a change (intent first, then outcome:
 * AuditTrail.forward), sends the request over NATS to the owning service and answers its reply
 * (redacted where declared). Paths, status codes, validation messages and the OpenAPI operations
 * all come from the declarations: a proxy route is never written by hand.
 */

type Route = RestRoute<Record<string, unknown>>;
type Slot =
  | { kind: 'query'; type: Type }
  | { kind: 'body'; type: Type }
  | { kind: 'param'; name: string; field: string; pipe?: PipeTransform }
  | { kind: 'params'; type: Type }
  | { kind: 'caller' }
  | { kind: 'trail' };

const AUDIT_OR_OWNER_UNAVAILABLE =
  'The audit entry of the intent could not be written, so the request was not sent; or the service that owns this did not answer.';

const METHODS = { GET: Get, POST: Post, PUT: Put, DELETE: Delete } as const;

const pipeOf = (check: 'uuid' | 'taskType' | undefined): PipeTransform | undefined =>
  check === 'uuid' ? new ParseUUIDPipe() : check === 'taskType' ? new TaskTypeParamPipe() : undefined;

/** The arguments of a route's handler, in order. */
function slotsOf(rest: Route): Slot[] {
  return [
    ...(rest.query ? [{ kind: 'query' as const, type: rest.query }] : []),
    ...(rest.body ? [{ kind: 'body' as const, type: rest.body }] : []),
    ...(rest.paramsClass
      ? [{ kind: 'params' as const, type: rest.paramsClass }]
      : pathParams(rest.path).map((name) => {
          const p = rest.params?.[name];
          return { kind: 'param' as const, name, field: p?.field ?? name, pipe: pipeOf(p?.check) };
        })),
    ...(rest.caller ? [{ kind: 'caller' as const }] : []),
    ...(rest.audited ? [{ kind: 'trail' as const }] : []),
  ];
}

/** The NATS request of one call: the query, then the body, the path parameters and the caller's name. */
export function requestOf(rest: Route, slots: Slot[], args: unknown[]): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  slots.forEach((slot, i) => {
    const value = args[i];
    if (slot.kind === 'query' || slot.kind === 'params') Object.assign(request, value);
    else if (slot.kind === 'body') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        if (v !== undefined && !(rest.omitEmptyBodyFields && v === '')) request[k] = v;
    } else if (slot.kind === 'param') request[slot.field] = value;
    else if (slot.kind === 'caller') request[rest.caller!] = (value as Caller).name;
  });
  return request;
}

function argumentDecorator(slot: Slot): ParameterDecorator {
  switch (slot.kind) {
    case 'query':
      return Query();
    case 'body':
      return Body();
    case 'param':
      return slot.pipe ? Param(slot.name, slot.pipe) : Param(slot.name);
    case 'params':
      return Param();
    case 'caller':
      return CurrentCaller();
    case 'trail':
      return Trail();
  }
}

const argumentType = (slot: Slot): unknown =>
  slot.kind === 'query' || slot.kind === 'body' || slot.kind === 'params'
    ? slot.type
    : slot.kind === 'param'
      ? String
      : Object;

/** The method decorators of a route: its verb and path, status, roles, audit and OpenAPI answers. */
function routeDecorators(op: AnyOperation, rest: Route): MethodDecorator[] {
  const status = rest.status ?? (rest.method === 'POST' ? 201 : 200);
  const type = rest.response?.type ?? replyClass(op.reply);
  const success = {
    type: type as Type | [Type],
    ...(rest.response?.description ? { description: rest.response.description } : {}),
  };
  const errors = rest.errors ?? {};
  return [
    METHODS[rest.method](rest.path),
    ...(rest.status ? [HttpCode(rest.status)] : []),
    Roles(...(rest.roles as Role[])),
    ...(rest.audited ? [AuditedInHandler()] : []),
    ...(rest.summary || rest.operationId
      ? [
          ApiOperation({
            ...(rest.summary ? { summary: rest.summary } : {}),
            ...(rest.operationId ? { operationId: rest.operationId } : {}),
          }),
        ]
      : []),
    ...Object.entries(rest.params ?? {})
      .filter(([, p]) => p.description)
      .map(([name, p]) => ApiParam({ name, description: p.description })),
    status === 201 ? ApiCreatedResponse(success) : ApiOkResponse(success),
    ...(errors.badRequest ? [ApiBadRequestResponse({ description: errors.badRequest })] : []),
    ...(errors.notFound === true
      ? [ApiNotFoundResponse()]
      : errors.notFound
        ? [ApiNotFoundResponse({ description: errors.notFound })]
        : []),
    ...(rest.audited
      ? [ApiServiceUnavailableResponse({ description: errors.unavailable ?? AUDIT_OR_OWNER_UNAVAILABLE })]
      : []),
  ];
}

/** `task-types` → `TaskTypesController`: the class name gives the OpenAPI operationIds (`TaskTypesController_set`). */
const controllerName = (resource: string) =>
  `${resource.replace(/(^|-)(\w)/g, (_, __: string, c: string) => c.toUpperCase())}Controller`;

interface Gateway {
  readonly bus: Bus;
}

/** One controller class per resource (first path segment), its routes in declaration order. */
export function gatewayControllers(operations: Record<string, AnyOperation>): Type[] {
  const byResource = new Map<string, Array<[AnyOperation, Route]>>();
  for (const op of Object.values(operations)) {
    if (!op.rest) continue;
    const routes = byResource.get(op.rest.resource) ?? [];
    routes.push([op, op.rest]);
    byResource.set(op.rest.resource, routes);
  }
  return [...byResource].map(([resource, routes]) => {
    const cls = class {
      constructor(readonly bus: Bus) {}
    };
    Object.defineProperty(cls, 'name', { value: controllerName(resource) });
    Inject(Bus)(cls, undefined, 0);
    Reflect.defineMetadata('design:paramtypes', [Bus], cls);
    Controller(resource)(cls);
    ApiTags(routes[0]![1].tag)(cls);
    for (const [op, rest] of routes) {
      const slots = slotsOf(rest);
      const subject = op.subject as RequestSubject;
      async function handler(this: Gateway, ...args: unknown[]): Promise<unknown> {
        const request = requestOf(rest, slots, args);
        if (rest.cursor) checkedCursor(request['cursor'] as string | undefined, rest.cursor);
        const send = () => this.bus.request(subject, request as never, op.timeoutMs);
        const trail = rest.audited ? (args[slots.findIndex((s) => s.kind === 'trail')] as AuditTrail) : undefined;
        const reply = await (trail ? trail.forward(send) : send());
        return rest.redact ? redact(reply) : reply;
      }
      Object.defineProperty(handler, 'name', { value: rest.handler });
      Object.defineProperty(cls.prototype, rest.handler, {
        value: handler,
        writable: true,
        configurable: true,
        enumerable: false,
      });
      const proto = cls.prototype as object;
      slots.forEach((slot, i) => argumentDecorator(slot)(proto, rest.handler, i));
      Reflect.defineMetadata('design:paramtypes', slots.map(argumentType), proto, rest.handler);
      Reflect.defineMetadata('design:returntype', Promise, proto, rest.handler);
      const descriptor = Object.getOwnPropertyDescriptor(proto, rest.handler)!;
      for (const decorate of routeDecorators(op, rest).reverse()) decorate(proto, rest.handler, descriptor);
    }
    return cls;
  });
}

/** The gateway's controllers, built once from the declarations in libs/contracts. */
export const GATEWAY_CONTROLLERS = gatewayControllers(Operations as unknown as Record<string, AnyOperation>);

type GatewayHandlers = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** The gateway's controller of a resource (`ledger`), for code that calls a route's handler itself (conversation reads). */
export function gatewayController(resource: string): Type<GatewayHandlers> {
  const cls = GATEWAY_CONTROLLERS.find((c) => Reflect.getMetadata(PATH_METADATA, c) === resource);
  if (!cls) throw new Error(`no operation declared in libs/contracts has a REST route under /${resource}`);
  return cls as Type<GatewayHandlers>;
}
