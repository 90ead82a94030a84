import { Injectable } from '@nestjs/common';
import {
  type ChangeIdV1,
  type CreateChangeV1,
  type ListChangesV1,
  type RegisterRepositoryV1,
  type RepositoryNameV1,
  Subjects,
} from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { RepositoriesRepository } from '../repositories/repositories.repository';
import { ChangesRepository } from './changes.repository';
import { ChangesService } from './changes.service';

/** Changes and repositories on NATS request/reply, in the `dev-bot` queue group (governance-api proxies them). */
@Injectable()
export class ChangesMessaging {
  constructor(
    private readonly service: ChangesService,
    private readonly changes: ChangesRepository,
    private readonly repositories: RepositoriesRepository,
  ) {}

  @Respond(Subjects.changeCreate)
  create(req: CreateChangeV1) {
    return this.service.create(req);
  }

  @Respond(Subjects.changeGet)
  get(req: ChangeIdV1) {
    return this.service.get(req.id);
  }

  @Respond(Subjects.changeList)
  list(req: ListChangesV1) {
    return this.changes.list(req);
  }

  @Respond(Subjects.repositoryRegister)
  register(req: RegisterRepositoryV1) {
    return this.repositories.register(req);
  }

  @Respond(Subjects.repositoryList)
  listRepositories() {
    return this.repositories.list();
  }

  @Respond(Subjects.repositoryGet)
  getRepository(req: RepositoryNameV1) {
    return this.repositories.get(req.name);
  }
}
