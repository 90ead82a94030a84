import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthedRequest } from './api-key.guard';
import type { Caller } from './roles';

/** The authenticated caller of the current request. */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<AuthedRequest>().caller;
  if (!caller) throw new Error('CurrentCaller used on a public route');
  return caller;
});
