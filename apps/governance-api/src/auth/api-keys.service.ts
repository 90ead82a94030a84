import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import { Metrics, registerSecret } from '@juggernaut/observability';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import type { GovernanceEnv } from '../config';
import { generateKey, hashKey, isWellFormedKey, keyPrefix, sameHash } from './api-key-hash';
import { type ApiKeyRow, ApiKeysRepository } from './api-keys.repository';
import type { Caller, Role } from './roles';

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export function toView(r: ApiKeyRow): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    prefix: r.key_prefix,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
  };
}

@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly lookups;

  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly db: DataSource,
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: GovernanceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.lookups = metrics.counter(
      'juggernaut_api_key_lookups_total',
      'API keys looked up in the database to authenticate a request',
    );
  }

  /** Ensures an admin key exists: the configured one, or a new one printed once to the terminal. */
  async onApplicationBootstrap(): Promise<void> {
    const configured = this.config.JUGGERNAUT_ADMIN_KEY;
    await this.repo.withBootstrapLock(async (activeAdmins, insert) => {
      if (configured) {
        await insert({
          name: 'bootstrap-admin',
          role: 'admin',
          hash: hashKey(configured),
          prefix: keyPrefix(configured),
          createdBy: 'bootstrap',
          expiresAt: null,
        });
        return;
      }
      if (activeAdmins > 0) return;
      const key = generateKey();
      await insert({
        name: 'bootstrap-admin',
        role: 'admin',
        hash: hashKey(key),
        prefix: keyPrefix(key),
        createdBy: 'bootstrap',
        expiresAt: null,
      });
      // Shown once, on the terminal only: it is not a log line and is never stored in clear.
      process.stdout.write(
        `\n  Juggernaut admin API key (shown once, keep it safe):\n\n    ${key}\n\n  Set JUGGERNAUT_ADMIN_KEY to choose your own.\n\n`,
      );
      registerSecret(key);
      this.logger.info('generated the bootstrap admin API key');
    });
  }

  /** Resolves a presented key to its caller, or undefined when it is malformed (no lookup), unknown, revoked or expired. */
  async authenticate(presented: string): Promise<Caller | undefined> {
    if (!isWellFormedKey(presented)) return undefined;
    const hash = hashKey(presented);
    this.lookups.inc();
    const row = await this.repo.findByHash(hash);
    if (!row || !sameHash(row.key_hash, hash)) return undefined;
    if (row.revoked_at || (row.expires_at && row.expires_at.getTime() <= Date.now())) return undefined;
    void this.repo.touch(row.id).catch(() => undefined);
    return { keyId: row.id, name: row.name, role: row.role };
  }

  /** Issues a key. Its name is unique among keys that are not revoked (409 otherwise), compared without case. */
  async create(
    input: { name: string; role: Role; expiresAt?: string },
    by: Caller,
  ): Promise<ApiKeyView & { key: string }> {
    const expiresAt = this.futureExpiry(input.expiresAt);
    return this.db.transaction(async (tx) => {
      await this.repo.lockName(input.name, tx);
      if (await this.repo.nameTaken(input.name, tx)) {
        throw new ConflictException(
          `an API key named "${input.name}" already exists; revoke it or choose another name`,
        );
      }
      const key = generateKey();
      registerSecret(key);
      const row = await this.repo.insert(
        {
          name: input.name,
          role: input.role,
          hash: hashKey(key),
          prefix: keyPrefix(key),
          createdBy: by.name,
          expiresAt,
        },
        tx,
      );
      const view = toView(row);
      await this.audit.record(
        { actor: by, action: 'api_key.create', resourceType: 'api-keys', resourceId: row.id, after: view },
        tx,
      );
      return { ...view, key };
    });
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.repo.list()).map(toView);
  }

  async revoke(id: string, by: Caller): Promise<ApiKeyView> {
    return this.db.transaction(async (tx) => {
      const before = await this.repo.findById(id, tx, true);
      if (!before) throw new NotFoundException(`api key ${id} not found`);
      const row = (await this.repo.revoke(id, tx))!;
      await this.audit.record(
        {
          actor: by,
          action: 'api_key.revoke',
          resourceType: 'api-keys',
          resourceId: id,
          before: toView(before),
          after: toView(row),
        },
        tx,
      );
      return toView(row);
    });
  }

  /** Sets when a key stops working (a time in the past expires it at once), or clears the expiry with null. */
  async setExpiry(id: string, expiresAt: string | null, by: Caller): Promise<ApiKeyView> {
    const at = expiresAt === null ? null : new Date(expiresAt);
    if (at && Number.isNaN(at.getTime())) throw new BadRequestException('expiresAt must be an ISO 8601 time');
    return this.db.transaction(async (tx) => {
      const before = await this.repo.findById(id, tx, true);
      if (!before) throw new NotFoundException(`api key ${id} not found`);
      if (before.revoked_at) throw new ConflictException(`api key ${id} is revoked`);
      const row = (await this.repo.setExpiry(id, at, tx))!;
      await this.audit.record(
        {
          actor: by,
          action: 'api_key.expire',
          resourceType: 'api-keys',
          resourceId: id,
          before: toView(before),
          after: toView(row),
        },
        tx,
      );
      return toView(row);
    });
  }

  /** Issues a new key with the same name, role and expiry and revokes the old one, atomically. */
  async rotate(id: string, by: Caller): Promise<ApiKeyView & { key: string }> {
    return this.db.transaction(async (tx) => {
      const old = await this.repo.findById(id, tx, true);
      if (!old) throw new NotFoundException(`api key ${id} not found`);
      if (old.revoked_at) throw new ConflictException(`api key ${id} is revoked`);
      const key = generateKey();
      registerSecret(key);
      // Revoked first, so the name is free for its replacement.
      const revoked = (await this.repo.revoke(id, tx))!;
      const fresh = await this.repo.insert(
        {
          name: old.name,
          role: old.role,
          hash: hashKey(key),
          prefix: keyPrefix(key),
          createdBy: by.name,
          expiresAt: old.expires_at,
        },
        tx,
      );
      await this.audit.record(
        {
          actor: by,
          action: 'api_key.rotate',
          resourceType: 'api-keys',
          resourceId: id,
          before: toView(old),
          after: { revoked: toView(revoked), replacement: toView(fresh) },
        },
        tx,
      );
      return { ...toView(fresh), key };
    });
  }

  private futureExpiry(expiresAt: string | undefined): Date | null {
    if (!expiresAt) return null;
    const at = new Date(expiresAt);
    if (Number.isNaN(at.getTime()) || at.getTime() <= Date.now())
      throw new BadRequestException('expiresAt must be a time in the future');
    return at;
  }
}
