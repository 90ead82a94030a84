import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthedRequest } from '../auth/api-key.guard';
import { AUDITED_IN_HANDLER } from './audited.decorator';
import { AuditLog } from './audit-log';
import { AuditTrail } from './audit-trail';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Gives every mutating HTTP call with a caller its AuditTrail (`@Trail()` in the handler). Routes
 * marked `@AuditedInHandler()` write their entries themselves: governance decisions with before and
 * after in their transaction, local changes through `trail.inTransaction`, changes other services
 * make through `trail.forward` (intent first). A mutating route without that mark is still never
 * run unaudited: its whole handler is treated as a forwarded call, so the intent is committed
 * before it runs (before validation, too: a body it refuses leaves an intent and a `.refused`).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditLog,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<AuthedRequest & { auditTrail?: AuditTrail }>();
    if (READ_METHODS.has(req.method) || !req.caller) return next.handle();
    const trail = new AuditTrail(this.audit, this.logger, {
      actor: req.caller,
      method: req.method.toLowerCase(),
      route: `${req.method} ${req.baseUrl ?? ''}${(req.route as { path?: string } | undefined)?.path ?? req.path}`,
      resourceType: String(Reflect.getMetadata('path', context.getClass()) ?? 'unknown').replace(/^\/+/, ''),
      params: { ...(req.params as Record<string, string>) },
      body: req.body,
    });
    req.auditTrail = trail;
    if (this.reflector.getAllAndOverride<boolean>(AUDITED_IN_HANDLER, [context.getHandler(), context.getClass()]))
      return next.handle();
    return from(trail.forward(() => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
