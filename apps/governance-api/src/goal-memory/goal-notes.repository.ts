import { Injectable } from '@nestjs/common';
import type { AddGoalNoteV1, GoalNoteV1, ListGoalNotesV1 } from '@juggernaut/contracts';
import type { Queryable } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { GovernanceGoalNotes } from '../db/schema.generated';

type NoteRow = Pick<GovernanceGoalNotes, 'id' | 'goal_id' | 'task_id' | 'author' | 'key' | 'content' | 'created_at'>;

function toNote(r: NoteRow): GoalNoteV1 {
  return {
    id: r.id,
    goalId: r.goal_id,
    taskId: r.task_id,
    author: r.author,
    key: r.key,
    content: r.content,
    createdAt: r.created_at.toISOString(),
  };
}

/** Goals' shared memory: notes every task under a goal reads and writes. */
@Injectable()
export class GoalNotesRepository {
  constructor(private readonly db: DataSource) {}

  /** Inserts a note; a repeated `noteId` (a resumed task writing again) returns the note stored first. */
  async add(n: AddGoalNoteV1, tx: Queryable = this.db): Promise<GoalNoteV1> {
    const rows = (await tx.query(
      `WITH ins AS (
         INSERT INTO governance.goal_notes (note_id, goal_id, task_id, author, key, content) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (note_id) DO NOTHING RETURNING *)
       SELECT * FROM ins
       UNION ALL SELECT * FROM governance.goal_notes WHERE note_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [n.noteId ?? null, n.goalId, n.taskId ?? null, n.author, n.key ?? null, n.content],
    )) as NoteRow[];
    return toNote(rows[0]!);
  }

  async list(q: ListGoalNotesV1): Promise<GoalNoteV1[]> {
    const rows: NoteRow[] = await this.db.query(
      `SELECT * FROM governance.goal_notes WHERE goal_id = $1 AND ($2::text IS NULL OR key = $2)
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [q.goalId, q.key ?? null, q.limit ?? 50],
    );
    return rows.map(toNote);
  }

  /** Whether governance records this goal (tasks, and so their notes over NATS, may name goals it does not). */
  async goalExists(goalId: string, tx: Queryable = this.db): Promise<boolean> {
    const rows = (await tx.query(`SELECT 1 FROM governance.goals WHERE id = $1`, [goalId])) as unknown[];
    return rows.length > 0;
  }
}
