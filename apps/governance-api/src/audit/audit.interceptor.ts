import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { LOGGER } from '@juggernaut/service-kit';
import type { Logger } from 'pino';
import { from, type Observable, switchMap } from 'rxjs';
import type { AuthedRequest } from '../auth/api-key.guard';
import { AUDITED_IN_HANDLER } from './audited.decorator';
import { AuditLog } from './audit-log';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Records every successful mutating HTTP call: who, which route, the request and the result.
 * The entry is written before the response goes out, so a change the caller saw succeed is
 * always in the log. Refused calls (4xx) changed nothing and are only logged.
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
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const targets = [context.getHandler(), context.getClass()];
    if (READ_METHODS.has(req.method) || !req.caller || this.reflector.getAllAndOverride<boolean>(AUDITED_IN_HANDLER, targets)) {
      return next.handle();
    }
    const caller = req.caller;
    const resourceType = String(Reflect.getMetadata('path', context.getClass()) ?? 'unknown').replace(/^\/+/, '');
    const params = req.params as Record<string, string>;
    return next.handle().pipe(
      switchMap((result: unknown) => from((async () => {
        await this.audit.record({
          actor: caller,
          action: `http.${req.method.toLowerCase()}`,
          resourceType,
          resourceId: params['id'] ?? params['name'] ?? params['type'] ?? (result as { id?: unknown } | null)?.id?.toString() ?? null,
          after: result,
          details: { route: `${req.method} ${req.baseUrl ?? ''}${(req.route as { path?: string } | undefined)?.path ?? req.path}`, params, body: req.body },
        }).catch((e: unknown) => this.logger.error({ err: e }, 'could not append to the audit log'));
        return result;
      })())),
    );
  }
}
