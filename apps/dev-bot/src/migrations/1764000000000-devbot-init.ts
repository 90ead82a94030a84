import { outboxTableSql } from '@juggernaut/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DevbotInit1764000000000 implements MigrationInterface {
  name = 'DevbotInit1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(outboxTableSql('devbot'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE devbot.outbox`);
  }
}
