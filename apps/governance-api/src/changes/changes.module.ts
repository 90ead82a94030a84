import { Module } from '@nestjs/common';
import { ChangesController } from './changes.controller';
import { RepositoriesController } from './repositories.controller';

@Module({ controllers: [ChangesController, RepositoriesController] })
export class ChangesModule {}
