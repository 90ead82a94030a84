/**
 * One declaration per request/reply operation: its NATS subject, the class that validates its
 * request, its reply, and, where it is reachable over REST, its route. The subject tables of
 * subjects.ts (`Subjects`, `RequestSubjectMap`, `PayloadClasses`), the AsyncAPI document
 * (tools/docs/asyncapi.ts) and governance-api's generic gateway (its proxy routes and their
 * OpenAPI operations) are all derived from these declarations, so adding an operation is one
 * declaration here plus its handler in the owning service.
 */

/** A class whose instances are the values of type T (every payload class has a no-argument constructor). */
export type Ctor<T = unknown> = new () => T;

/** A reply with no class of its own (a small literal, a union): its type only, for `RequestSubjectMap`. */
export interface ReplyType<T> {
  readonly replyType?: T;
}
/** The type of a reply that is not a class (or a list of one): `reply: replyOf<{ id: string }>()`. */
export const replyOf = <T>(): ReplyType<T> => ({});

/** A reply: a class, a list of a class (`[ScheduleViewV1]`), or a type with no class (`replyOf<T>()`). */
export type ReplyShape<T> = Ctor<T> | readonly [Ctor<T>] | ReplyType<T>;

/** The API roles (governance-api's API keys carry one). */
export const API_ROLES = ['admin', 'operator', 'viewer', 'agent'] as const;
export type ApiRole = (typeof API_ROLES)[number];
/** Every role may read. */
export const ANY_ROLE: readonly ApiRole[] = ['admin', 'operator', 'viewer', 'agent'];
/** Roles that may change operational data. */
export const WRITER_ROLES: readonly ApiRole[] = ['admin', 'operator', 'agent'];

/** A path parameter of a REST route: how it is checked and which request field it fills. */
export interface RestParam<Req> {
  /** `uuid`: 400 unless a UUID (Nest's ParseUUIDPipe); `taskType`: 400 unless a task type name. Unchecked otherwise. */
  check?: 'uuid' | 'taskType';
  /** The request field it fills; by default the field of the parameter's own name. */
  field?: keyof Req & string;
  /** Its OpenAPI description. */
  description?: string;
}

/**
 * Where an operation is reachable over REST (governance-api, under /api/v1). The NATS request is
 * made of the query (`query`), the body (`body`), the path parameters (`params`) and the caller's
 * name (`caller`), in that order, each later one winning.
 */
export interface RestRoute<Req> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /**
   * The first path segment after /api/v1: its controller. It is the resource type of the route's
   * audit entries, and names the controller in the OpenAPI operationId (`tasks` → `TasksController`).
   */
  resource: string;
  /** The rest of the path, `:name` for a parameter (`':id/cancel'`); empty for the resource itself. */
  path: string;
  /** The handler name: the OpenAPI operationId is `<Resource>Controller_<handler>`; with no `summary`, it makes one ("list" on /tasks: "List tasks"). */
  handler: string;
  /** The OpenAPI tag. */
  tag: string;
  /** Who may call it (a route allows nobody else). */
  roles: readonly ApiRole[];
  /**
   * A change another service makes, audited as such: an intent entry is committed before the
   * request is sent, and its outcome after (governance-api's AuditTrail.forward). Reads are not audited.
   */
  audited: boolean;
  /** The success status; by default 201 for POST and 200 otherwise. */
  status?: 200 | 201;
  summary?: string;
  /**
   * The OpenAPI operationId where it is not `<Resource>Controller_<handler>`: one an earlier release
   * published, kept so that clients generated from the document keep their method names.
   */
  operationId?: string;
  /** The success answer in OpenAPI: its schema (by default the reply's class) and description. */
  response?: { type?: Ctor | readonly [Ctor]; description?: string };
  /** The error answers this route documents beyond the conventional ones (OpenAPI). */
  errors?: {
    badRequest?: string;
    /** `true` documents a 404 with no description of its own. */
    notFound?: string | true;
    /** The 503 of an audited route; by default the audit entry or the owning service failing. */
    unavailable?: string;
  };
  /** The query class, validated (the request starts from it). */
  query?: Ctor;
  /**
   * The query's `cursor` is decoded and checked before the request is sent (a forged one is a 400
   * naming it): `uuid` or `bigint` is the shape of the list's ids.
   */
  cursor?: 'uuid' | 'bigint';
  /** The body class, validated and merged into the request. */
  body?: Ctor;
  /** Body fields that are empty strings are left out of the request (an optional reason given as ''). */
  omitEmptyBodyFields?: boolean;
  /** Path parameters, by name, in path order. */
  params?: Record<string, RestParam<Req>>;
  /** All path parameters validated together as one class instead (e.g. RepositoryNameV1). */
  paramsClass?: Ctor;
  /** The request field set to the name of the calling API key (createdBy, requestedBy, by). */
  caller?: keyof Req & string;
  /** Payloads, results and reasons are redacted (secrets masked) before the reply is answered. */
  redact?: boolean;
}

export interface OperationSpec<S extends string, Req, R extends ReplyShape<unknown>> {
  /** `juggernaut.<domain>.<verb>.v<N>`. */
  subject: S;
  /** The class that validates the request; the responder validates against it before its handler runs. */
  request: Ctor<Req>;
  reply: R;
  /** What it does, for the AsyncAPI document. */
  description: string;
  /** How long a requester waits for the reply, when not the bus's default. */
  timeoutMs?: number;
  rest?: RestRoute<Req>;
}

/** The reply type of an operation declaration's `reply`. */
export type ReplyOf<R> = R extends readonly [Ctor<infer T>]
  ? T[]
  : R extends Ctor<infer T>
    ? T
    : R extends ReplyType<infer T>
      ? T
      : never;

/** Declares a request/reply operation. The REST mapping is typed against the request (`caller`, `params.*.field`). */
export function operation<const S extends string, Req, const R extends ReplyShape<unknown>>(
  spec: OperationSpec<S, Req, R>,
): OperationSpec<S, Req, R> {
  return spec;
}

export type AnyOperation = OperationSpec<string, unknown, ReplyShape<unknown>> & {
  rest?: RestRoute<Record<string, unknown>>;
};

/** The class a reply is answered as, when it has one (for the API documents). */
export function replyClass(reply: ReplyShape<unknown>): Ctor | readonly [Ctor] | undefined {
  if (typeof reply === 'function') return reply;
  if (Array.isArray(reply)) return reply as readonly [Ctor];
  return undefined;
}

/** A stream event or inbound message: its subject and the class that validates its payload. */
export interface EventSpec<S extends string, P> {
  subject: S;
  payload: Ctor<P>;
}
export const event = <const S extends string, P>(subject: S, payload: Ctor<P>): EventSpec<S, P> => ({
  subject,
  payload,
});
