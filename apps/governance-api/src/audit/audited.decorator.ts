import { SetMetadata } from '@nestjs/common';

export const AUDITED_IN_HANDLER = 'juggernaut:audited-in-handler';

/**
 * Marks a mutating route whose service writes its own audit entry (with before/after, in the
 * same transaction as the change), so the generic HTTP audit does not record it twice.
 */
export const AuditedInHandler = () => SetMetadata(AUDITED_IN_HANDLER, true);
