import { Injectable } from '@nestjs/common';
import type { AddGoalNoteV1, GoalNoteV1, ListGoalNotesV1 } from '@juggernaut/contracts';
import { redact } from '@juggernaut/observability';
import { GoalNotesRepository } from './goal-notes.repository';

/** One use case for HTTP and NATS: notes are stored with secrets redacted, since every agent under the goal reads them. */
@Injectable()
export class GoalNotesService {
  constructor(private readonly repo: GoalNotesRepository) {}

  add(n: AddGoalNoteV1): Promise<GoalNoteV1> {
    return this.repo.add({ ...n, content: redact(n.content) });
  }

  list(q: ListGoalNotesV1): Promise<GoalNoteV1[]> {
    return this.repo.list(q);
  }
}
