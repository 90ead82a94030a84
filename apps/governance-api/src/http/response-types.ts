import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/**
 * Schemas for answers whose TypeScript type Swagger cannot see (interfaces, generics): `PageOf(X)` for
 * a `Page<X>`, and the small answers several routes share.
 */
const pages = new Map<Type<unknown>, Type<unknown>>();

/** The schema of a `Page<T>` of items of `item`'s schema (named after it: GoalV1 → GoalPage). */
export function PageOf<T>(item: Type<T>): Type<{ items: T[]; nextCursor: string | null }> {
  let page = pages.get(item);
  if (!page) {
    class ItemPage {
      items!: T[];
      nextCursor!: string | null;
    }
    ApiProperty({ type: [item] })(ItemPage.prototype, 'items');
    ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as `cursor` for the next page; null on the last page.',
    })(ItemPage.prototype, 'nextCursor');
    Object.defineProperty(ItemPage, 'name', { value: `${item.name.replace(/V\d+$/, '')}Page` });
    pages.set(item, (page = ItemPage));
  }
  return page as Type<{ items: T[]; nextCursor: string | null }>;
}

/** The answer of a delete by name (in libs/contracts: the gateway's DELETE /schedules/{name} answers it too). */
export { DeletedResponse } from '@juggernaut/contracts';

export class UnblockedResponse {
  @ApiProperty({ type: [String], description: 'Ids of the tasks that went back to the queue.' }) unblocked!: string[];
}

export class WebhookAnswerResponse {
  @ApiProperty({ enum: [true] }) received!: true;
  @ApiProperty({ description: "The same delivery was captured before (a provider's retry)." }) duplicate!: boolean;
  @ApiProperty({
    required: false,
    description: "A generic source's event of a kind its mapping does not name: acknowledged, not posted.",
  })
  ignored?: boolean;
}
