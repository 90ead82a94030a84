import { Injectable } from '@nestjs/common';
import { type Narrow, type Queryable, rowsOf } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import type { Role } from './roles';
import type { GovernanceApiKeys } from '../db/schema.generated';

export type ApiKeyRow = Narrow<GovernanceApiKeys, { role: Role }>;

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: DataSource) {}

  async findByHash(hash: Buffer): Promise<ApiKeyRow | undefined> {
    const rows: ApiKeyRow[] = await this.db.query(`SELECT * FROM governance.api_keys WHERE key_hash = $1`, [hash]);
    return rows[0];
  }

  async insert(
    k: { name: string; role: Role; hash: Buffer; prefix: string; createdBy: string | null; expiresAt: Date | null },
    tx: Queryable = this.db,
  ): Promise<ApiKeyRow> {
    const rows = (await tx.query(
      `INSERT INTO governance.api_keys (name, role, key_hash, key_prefix, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [k.name, k.role, k.hash, k.prefix, k.createdBy, k.expiresAt],
    )) as ApiKeyRow[];
    return rows[0]!;
  }

  /**
   * Holds, until `tx` ends, the right to give out `name`: two admins creating keys with one name
   * are serialised, and the second finds the first's key. Names are compared without case.
   */
  async lockName(name: string, tx: Queryable): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('juggernaut:api-key-name'), hashtext(lower($1)))`, [name]);
  }

  /** Whether a key that is not revoked has this name (without case); an expired key can be given a new expiry, so it counts. */
  async nameTaken(name: string, tx: Queryable = this.db): Promise<boolean> {
    const rows = (await tx.query(
      `SELECT 1 FROM governance.api_keys WHERE lower(name) = lower($1) AND revoked_at IS NULL LIMIT 1`,
      [name],
    )) as unknown[];
    return rows.length > 0;
  }

  async list(): Promise<ApiKeyRow[]> {
    return this.db.query(`SELECT * FROM governance.api_keys ORDER BY created_at DESC, id DESC`);
  }

  /** `lock` holds the row until the transaction ends, so two admins cannot rotate one key twice. */
  async findById(id: string, tx: Queryable = this.db, lock = false): Promise<ApiKeyRow | undefined> {
    const rows = (await tx.query(`SELECT * FROM governance.api_keys WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [
      id,
    ])) as ApiKeyRow[];
    return rows[0];
  }

  async revoke(id: string, tx: Queryable = this.db): Promise<ApiKeyRow | undefined> {
    const rows: ApiKeyRow[] = rowsOf(
      await tx.query(
        `UPDATE governance.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *`,
        [id],
      ),
    );
    return rows[0];
  }

  async setExpiry(id: string, expiresAt: Date | null, tx: Queryable = this.db): Promise<ApiKeyRow | undefined> {
    const rows: ApiKeyRow[] = rowsOf(
      await tx.query(`UPDATE governance.api_keys SET expires_at = $2 WHERE id = $1 RETURNING *`, [id, expiresAt]),
    );
    return rows[0];
  }

  /** Records use at most once a minute per key, so authentication stays a read. */
  async touch(id: string): Promise<void> {
    await this.db.query(
      `UPDATE governance.api_keys SET last_used_at = now()
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }

  /** Runs `fn` holding a transaction-scoped lock, so concurrent replicas bootstrap one admin key. */
  async withBootstrapLock<T>(
    fn: (activeAdmins: number, insert: (k: Parameters<ApiKeysRepository['insert']>[0]) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('juggernaut:bootstrap-admin'))`);
      const [{ n }] = await em.query(
        `SELECT count(*)::int AS n FROM governance.api_keys WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      );
      return fn(n, async (k) => {
        const known = (await em.query(`SELECT 1 FROM governance.api_keys WHERE key_hash = $1`, [k.hash])) as unknown[];
        if (known.length > 0) return;
        // Names are unique among keys not revoked: a new configured key next to an earlier one gets a numbered name.
        let name = k.name;
        for (let n = 2; await this.nameTaken(name, em); n++) name = `${k.name}-${n}`;
        await em.query(
          `INSERT INTO governance.api_keys (name, role, key_hash, key_prefix, created_by, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_hash) DO NOTHING`,
          [name, k.role, k.hash, k.prefix, k.createdBy, k.expiresAt],
        );
      });
    });
  }
}
