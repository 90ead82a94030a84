import { applyDecorators, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

export const ROLES = ['admin', 'operator', 'viewer', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'juggernaut:roles';

/** Declares who may call a route. A route without it is refused to everyone (deny by default). */
export function Roles(...roles: Role[]) {
  return rolesWithNote(roles);
}

/** `Roles`, for a route that also refuses some calls by policy: the 403 documentation says which. */
export function RolesAndPolicy(policyNote: string, ...roles: Role[]) {
  return rolesWithNote(roles, policyNote);
}

function rolesWithNote(roles: Role[], note?: string) {
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No valid API key, or a malformed one.' }),
    ApiForbiddenResponse({ description: `Allowed roles: ${roles.join(', ')}.${note ? ` ${note}` : ''}` }),
    ApiTooManyRequestsResponse({
      description:
        'Over the rate limit of this key, or of this address for calls without a valid key; see Retry-After.',
    }),
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
