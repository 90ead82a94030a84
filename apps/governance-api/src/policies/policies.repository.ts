import { Injectable } from '@nestjs/common';
import type { KillSwitchV1, PolicyDocumentV1, PolicySettingsV1 } from '@juggernaut/contracts';
import type { Narrow, Queryable } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { GovernancePolicyVersions } from '../db/schema.generated';

/** What is stored per version: the settings and the kill switch; version and time are columns. */
export type StoredPolicy = PolicySettingsV1 & { killSwitch: KillSwitchV1 };

type PolicyRow = Narrow<GovernancePolicyVersions, { document: StoredPolicy }>;

function toDocument(r: PolicyRow): PolicyDocumentV1 {
  return { version: r.version, updatedAt: r.created_at.toISOString(), updatedBy: r.created_by, ...r.document };
}

@Injectable()
export class PoliciesRepository {
  constructor(private readonly db: DataSource) {}

  /** The policy in force; `forUpdate` serialises writers on the current version row. */
  async current(tx: Queryable = this.db, forUpdate = false): Promise<PolicyDocumentV1> {
    const rows = (await tx.query(
      `SELECT * FROM governance.policy_versions ORDER BY version DESC LIMIT 1${forUpdate ? ' FOR UPDATE' : ''}`,
    )) as PolicyRow[];
    if (!rows[0]) throw new Error('governance.policy_versions is empty: the policies migration seeds version 1');
    return toDocument(rows[0]);
  }

  async insert(version: number, document: StoredPolicy, by: string, tx: Queryable): Promise<PolicyDocumentV1> {
    const rows = (await tx.query(
      `INSERT INTO governance.policy_versions (version, document, created_by) VALUES ($1, $2::jsonb, $3) RETURNING *`,
      [version, JSON.stringify(document), by],
    )) as PolicyRow[];
    return toDocument(rows[0]!);
  }

  async get(version: number): Promise<PolicyDocumentV1 | undefined> {
    const rows = (await this.db.query(`SELECT * FROM governance.policy_versions WHERE version = $1`, [
      version,
    ])) as PolicyRow[];
    return rows[0] ? toDocument(rows[0]) : undefined;
  }

  /** Newest first; `before` pages back through older versions. */
  async history(limit: number, before?: number): Promise<PolicyDocumentV1[]> {
    const rows = (await this.db.query(
      `SELECT * FROM governance.policy_versions WHERE ($1::integer IS NULL OR version < $1) ORDER BY version DESC LIMIT $2`,
      [before ?? null, limit],
    )) as PolicyRow[];
    return rows.map(toDocument);
  }
}
