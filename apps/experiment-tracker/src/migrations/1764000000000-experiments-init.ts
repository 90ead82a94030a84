import { outboxTableSql } from '@juggernaut/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ExperimentsInit1764000000000 implements MigrationInterface {
  name = 'ExperimentsInit1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(outboxTableSql('experiments'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE experiments.outbox`);
  }
}
