import { outboxTableSql } from '@juggernaut/persistence';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LedgerInit1764000000000 implements MigrationInterface {
  name = 'LedgerInit1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(outboxTableSql('ledger'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger.outbox`);
  }
}
