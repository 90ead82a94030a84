import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Metrics } from '@juggernaut/observability';
import { PUBLIC_ROUTE } from '@juggernaut/service-kit';
import type { Request, Response } from 'express';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { hashKey, isWellFormedKey } from './api-key-hash';
import { ApiKeysService } from './api-keys.service';
import { type Caller, type Role, ROLES_KEY } from './roles';

export type AuthedRequest = Request & { caller?: Caller };

/** Keys that authenticated lately in this replica (by hash), so their holders are not slowed by strangers at their address. */
const RECENT_KEYS = 10_000;

/**
 * Every route needs a valid API key whose role the route allows. Routes without a roles
 * declaration are refused (deny by default); only health and metrics are public.
 *
 * Each key is rate-limited after it is authenticated. Calls without a valid key are limited per
 * client address: each missing, malformed, unknown, revoked or expired key spends one of the
 * address's tokens, and an address that has none left gets 429 before any lookup — unless the
 * key it presents authenticated lately, so a neighbour guessing keys does not lock its holder
 * out. A malformed key (see isWellFormedKey) is refused without a database lookup.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly recent = new Set<string>();
  private readonly failures;

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    private readonly limiter: RateLimiter,
    metrics: Metrics,
  ) {
    this.failures = metrics.counter(
      'juggernaut_http_auth_failures_total',
      'HTTP requests refused for want of a valid API key',
      ['reason'],
    );
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '');
    if (!match) this.refuse(address, res, 'missing', 'missing API key: send "Authorization: Bearer <key>"');
    const presented = match[1]!;
    if (!isWellFormedKey(presented)) this.refuse(address, res, 'malformed', 'invalid, revoked or expired API key');
    const hash = hashKey(presented).toString('base64');
    if (!this.recent.has(hash)) this.limiter.checkAddress(address, res);
    const caller = await this.keys.authenticate(presented);
    if (!caller) {
      this.recent.delete(hash);
      this.refuse(address, res, 'unknown', 'invalid, revoked or expired API key');
    }
    this.remember(hash);
    req.caller = caller;
    this.limiter.check(caller.keyId, res);
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!allowed || !allowed.includes(caller.role)) {
      throw new ForbiddenException(
        `role ${caller.role} may not call this route${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`,
      );
    }
    return true;
  }

  /** 401, after spending one of the address's tokens (429 when it had none left). */
  private refuse(address: string, res: Response, reason: 'missing' | 'malformed' | 'unknown', message: string): never {
    this.failures.inc({ reason });
    this.limiter.chargeAddress(address, res);
    throw new UnauthorizedException(message);
  }

  private remember(hash: string): void {
    this.recent.delete(hash);
    this.recent.add(hash);
    if (this.recent.size > RECENT_KEYS) this.recent.delete(this.recent.values().next().value!);
  }
}
