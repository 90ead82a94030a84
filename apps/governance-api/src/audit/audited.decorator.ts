import { SetMetadata } from '@nestjs/common';

export const AUDITED_IN_HANDLER = 'juggernaut:audited-in-handler';

/**
 * Marks a mutating route (or every route of a controller) that writes its own audit entries:
 * a governance decision with before and after in the same transaction as the change, a local
 * change through `trail.inTransaction`, or a change another service makes through
 * `trail.forward` (see AuditTrail). Unmarked mutating routes are audited around the whole handler.
 */
export const AuditedInHandler = () => SetMetadata(AUDITED_IN_HANDLER, true);
