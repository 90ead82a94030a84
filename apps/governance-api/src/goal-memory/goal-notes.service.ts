import { Injectable, NotFoundException } from '@nestjs/common';
import type { AddGoalNoteV1, GoalNoteV1, ListGoalNotesV1 } from '@juggernaut/contracts';
import { redact } from '@juggernaut/observability';
import { DataSource } from 'typeorm';
import type { AuditTrail } from '../audit/audit-trail';
import { GoalNotesRepository } from './goal-notes.repository';

/** One use case for HTTP and NATS: notes are stored with secrets redacted, since every agent under the goal reads them. */
@Injectable()
export class GoalNotesService {
  constructor(
    private readonly repo: GoalNotesRepository,
    private readonly db: DataSource,
  ) {}

  /**
   * Over NATS a runner writes notes under its task's goal id, which governance may not record (a
   * goal planned from a task's own text). Through HTTP (`trail`) the goal must exist (404 otherwise),
   * and the note commits with its audit entry.
   */
  add(n: AddGoalNoteV1, trail?: AuditTrail): Promise<GoalNoteV1> {
    const clean = { ...n, content: redact(n.content) };
    if (!trail) return this.repo.add(clean);
    return this.db.transaction(async (tx) => {
      if (!(await this.repo.goalExists(n.goalId, tx))) throw new NotFoundException(`goal ${n.goalId} not found`);
      const note = await this.repo.add(clean, tx);
      await trail.inTransaction(tx, note);
      return note;
    });
  }

  /** Notes, newest first, redacted again as they are read. `mustExist`: 404 for a goal governance does not record (HTTP). */
  async list(q: ListGoalNotesV1, mustExist = false): Promise<GoalNoteV1[]> {
    if (mustExist && !(await this.repo.goalExists(q.goalId))) throw new NotFoundException(`goal ${q.goalId} not found`);
    return (await this.repo.list(q)).map((note) => ({ ...note, content: redact(note.content) }));
  }
}
