import { Module } from '@nestjs/common';
import { ChangesMessaging } from './changes/changes.messaging';
import { ChangesRepository } from './changes/changes.repository';
import { ChangesService } from './changes/changes.service';
import { RepositoriesRepository } from './repositories/repositories.repository';

@Module({
  providers: [RepositoriesRepository, ChangesRepository, ChangesService, ChangesMessaging],
})
export class DevBotModule {}
