import { Injectable } from '@nestjs/common';
import { type GoalIdV1, Subjects } from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { GoalsService } from './goals.service';

/** `juggernaut.goal.get.v1`: planners read the goal they plan for (title, criteria, budget, status). */
@Injectable()
export class GoalsMessaging {
  constructor(private readonly goals: GoalsService) {}

  @Respond(Subjects.goalGet)
  get(req: GoalIdV1) {
    return this.goals.get(req.id);
  }
}
