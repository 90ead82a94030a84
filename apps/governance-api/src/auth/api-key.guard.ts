import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_ROUTE } from '@juggernaut/service-kit';
import type { Request, Response } from 'express';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { ApiKeysService } from './api-keys.service';
import { type Caller, type Role, ROLES_KEY } from './roles';

export type AuthedRequest = Request & { caller?: Caller };

/**
 * Every route needs a valid API key whose role the route allows. Routes without a roles
 * declaration are refused (deny by default); only health and metrics are public. Each key is
 * rate-limited after it is authenticated.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    private readonly limiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const header = req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedException('missing API key: send "Authorization: Bearer <key>"');
    const caller = await this.keys.authenticate(match[1]!);
    if (!caller) throw new UnauthorizedException('invalid, revoked or expired API key');
    req.caller = caller;
    this.limiter.check(caller.keyId, context.switchToHttp().getResponse<Response>());
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!allowed || !allowed.includes(caller.role)) {
      throw new ForbiddenException(`role ${caller.role} may not call this route${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`);
    }
    return true;
  }
}
