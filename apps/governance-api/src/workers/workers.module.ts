import { Module } from '@nestjs/common';
import { WorkersController } from './workers.controller';
import { WorkersRegistry } from './workers.registry';
import { WorkersRepository } from './workers.repository';

@Module({ controllers: [WorkersController], providers: [WorkersRepository, WorkersRegistry], exports: [WorkersRepository] })
export class WorkersModule {}
