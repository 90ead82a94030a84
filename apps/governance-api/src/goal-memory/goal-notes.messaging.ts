import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { GoalNotesService } from './goal-notes.service';

@Injectable()
export class GoalNotesMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly notes: GoalNotesService,
  ) {}

  onApplicationBootstrap(): void {
    this.subs = [
      this.bus.respond(Subjects.goalNoteAdd, (req) => this.notes.add(req)),
      this.bus.respond(Subjects.goalNoteList, (req) => this.notes.list(req)),
    ];
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}
