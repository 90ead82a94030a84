import { outboxTableSql } from '@juggernaut/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DispatchInit1764000000000 implements MigrationInterface {
  name = 'DispatchInit1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(outboxTableSql('dispatch'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dispatch.outbox`);
  }
}
