import {
  createParamDecorator,
  type ExecutionContext,
  HttpException,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { Queryable } from '@juggernaut/persistence';
import type { Logger } from 'pino';
import type { Caller } from '../auth/roles';
import type { AuditLog } from './audit-log';

/** What an HTTP call changing something is, for its audit entries. */
export interface AuditedCall {
  actor: Caller;
  /** Lowercase HTTP method: the action is `http.<method>`. */
  method: string;
  /** `POST /api/v1/tasks/:id/cancel`. */
  route: string;
  resourceType: string;
  params: Record<string, string>;
  body: unknown;
}

/** Thrown when an audit entry cannot be written: the call is refused and nothing changed. */
export class AuditUnavailableException extends ServiceUnavailableException {
  constructor() {
    super('the audit log could not be written, so nothing was changed; retry shortly');
  }
}

/**
 * The audit entries of one mutating HTTP call. No change without its entry:
 *
 * - A change in governance's own database (`inTransaction`) writes its entry in the same
 *   transaction: if the entry cannot be written, the transaction rolls back and the call fails.
 * - A change another service makes (`forward`, a request over NATS) is preceded by an intent
 *   entry, committed before the request is sent: if it cannot be written the request is never
 *   sent. The outcome follows as a second entry (`http.<method>` with the result, or
 *   `.refused` / `.failed` with the error), pointing at its intent. An intent without an outcome
 *   means governance-api stopped, or lost the database, between the two; the owning service's
 *   record of the change (the task, the ledger entry) tells what happened.
 */
export class AuditTrail {
  private written = false;

  constructor(
    private readonly audit: AuditLog,
    private readonly logger: Logger,
    readonly call: AuditedCall,
  ) {}

  /** Whether an entry of this call has been written. */
  get recorded(): boolean {
    return this.written;
  }

  /** Records a change made in `tx`, in `tx`: the entry commits with the change or neither does. */
  async inTransaction(tx: Queryable, result: unknown): Promise<void> {
    try {
      await this.audit.record(
        {
          actor: this.call.actor,
          action: `http.${this.call.method}`,
          resourceType: this.call.resourceType,
          resourceId: this.resourceId(result),
          after: result,
          details: { route: this.call.route, params: this.call.params, body: this.call.body },
        },
        tx,
      );
    } catch (e) {
      this.logger.error(
        { err: e, route: this.call.route },
        'could not append to the audit log; the change is rolled back',
      );
      throw new AuditUnavailableException();
    }
    this.written = true;
  }

  /** Records the intent, makes the call, records its outcome. The call is not made unless the intent is stored. */
  async forward<T>(call: () => Promise<T>): Promise<T> {
    const { actor, method, resourceType, route, params, body } = this.call;
    let intentId: string;
    try {
      intentId = await this.audit.record({
        actor,
        action: `http.${method}.intent`,
        resourceType,
        resourceId: this.resourceId(undefined),
        details: { route, params, body },
      });
    } catch (e) {
      this.logger.error({ err: e, route }, 'could not append the intent to the audit log; the request is refused');
      throw new AuditUnavailableException();
    }
    this.written = true;
    let result: T;
    try {
      result = await call();
    } catch (e) {
      const status = statusOf(e);
      await this.audit
        .record({
          actor,
          action: `http.${method}.${status !== undefined && status < 500 ? 'refused' : 'failed'}`,
          resourceType,
          resourceId: this.resourceId(undefined),
          details: { route, params, intentId, status: status ?? null, error: (e as Error)?.message ?? String(e) },
        })
        .catch((err: unknown) =>
          this.logger.error(
            { err, route, intentId },
            'could not append the outcome of a refused call to the audit log',
          ),
        );
      throw e;
    }
    await this.audit
      .record({
        actor,
        action: `http.${method}`,
        resourceType,
        resourceId: this.resourceId(result),
        after: result,
        details: { route, params, intentId },
      })
      .catch((err: unknown) =>
        this.logger.error(
          { err, route, intentId },
          'could not append the outcome to the audit log; its intent is recorded',
        ),
      );
    return result;
  }

  private resourceId(result: unknown): string | null {
    const p = this.call.params;
    return (
      p['id'] ??
      p['name'] ??
      p['type'] ??
      p['currency'] ??
      p['goalId'] ??
      (result as { id?: unknown } | null | undefined)?.id?.toString() ??
      null
    );
  }
}

function statusOf(e: unknown): number | undefined {
  if (e instanceof HttpException) return e.getStatus();
  const status = (e as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** The audit trail of the current mutating request (set up by AuditInterceptor). */
export const Trail = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditTrail => {
  const trail = ctx.switchToHttp().getRequest<{ auditTrail?: AuditTrail }>().auditTrail;
  if (!trail) throw new Error('Trail used on a route that is not a mutating call with a caller');
  return trail;
});
