import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Bus } from '@juggernaut/messaging';
import type { Subscription } from '@nats-io/transport-node';
import { RepositoriesRepository } from '../repositories/repositories.repository';
import { ChangesRepository } from './changes.repository';
import { ChangesService } from './changes.service';

/** Changes and repositories on NATS request/reply, in the `dev-bot` queue group (governance-api proxies them). */
@Injectable()
export class ChangesMessaging implements OnApplicationBootstrap, OnModuleDestroy {
  private subs: Subscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly service: ChangesService,
    private readonly changes: ChangesRepository,
    private readonly repositories: RepositoriesRepository,
  ) {}

  onApplicationBootstrap(): void {
    const b = this.bus;
    this.subs = [
      b.respond(Subjects.changeCreate, (req) => this.service.create(req)),
      b.respond(Subjects.changeGet, (req) => this.service.get(req.id)),
      b.respond(Subjects.changeList, (req) => this.changes.list(req)),
      b.respond(Subjects.repositoryRegister, (req) => this.repositories.register(req)),
      b.respond(Subjects.repositoryList, () => this.repositories.list()),
      b.respond(Subjects.repositoryGet, (req) => this.repositories.get(req.name)),
    ];
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}
