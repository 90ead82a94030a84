import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

export const ROLES = ['admin', 'operator', 'viewer', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'juggernaut:roles';

/** Declares who may call a route. A route without it is refused to everyone (deny by default). */
export function Roles(...roles: Role[]) {
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No valid API key.' }),
    ApiForbiddenResponse({ description: `Allowed roles: ${roles.join(', ')}.` }),
  );
}

/** Every role may read. */
export const READERS: Role[] = ['admin', 'operator', 'viewer', 'agent'];
/** Roles that may change operational data. */
export const WRITERS: Role[] = ['admin', 'operator', 'agent'];

export interface Caller {
  keyId: string;
  name: string;
  role: Role;
}
