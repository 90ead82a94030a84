import { Injectable } from '@nestjs/common';
import { type AddGoalNoteV1, type ListGoalNotesV1, Subjects } from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { GoalNotesService } from './goal-notes.service';

/** Notes planners keep on a goal (`juggernaut.goal.note.add.v1`, `…note.list.v1`). */
@Injectable()
export class GoalNotesMessaging {
  constructor(private readonly notes: GoalNotesService) {}

  @Respond(Subjects.goalNoteAdd)
  add(req: AddGoalNoteV1) {
    return this.notes.add(req);
  }

  @Respond(Subjects.goalNoteList)
  list(req: ListGoalNotesV1) {
    return this.notes.list(req);
  }
}
