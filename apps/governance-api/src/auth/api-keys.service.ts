import { ConflictException, Inject, Injectable, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, LOGGER } from '@juggernaut/service-kit';
import { registerSecret } from '@juggernaut/observability';
import type { Logger } from 'pino';
import type { GovernanceEnv } from '../config';
import { generateKey, hashKey, keyPrefix, sameHash } from './api-key-hash';
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
    id: r.id, name: r.name, role: r.role, prefix: r.key_prefix, createdBy: r.created_by,
    createdAt: r.created_at.toISOString(), expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null, lastUsedAt: r.last_used_at?.toISOString() ?? null,
  };
}

@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  constructor(
    private readonly repo: ApiKeysRepository,
    @Inject(APP_CONFIG) private readonly config: GovernanceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Ensures an admin key exists: the configured one, or a new one printed once to the terminal. */
  async onApplicationBootstrap(): Promise<void> {
    const configured = this.config.JUGGERNAUT_ADMIN_KEY;
    await this.repo.withBootstrapLock(async (activeAdmins, insert) => {
      if (configured) {
        await insert({ name: 'bootstrap-admin', role: 'admin', hash: hashKey(configured), prefix: keyPrefix(configured), createdBy: 'bootstrap', expiresAt: null });
        return;
      }
      if (activeAdmins > 0) return;
      const key = generateKey();
      await insert({ name: 'bootstrap-admin', role: 'admin', hash: hashKey(key), prefix: keyPrefix(key), createdBy: 'bootstrap', expiresAt: null });
      // Shown once, on the terminal only: it is not a log line and is never stored in clear.
      process.stdout.write(`\n  Juggernaut admin API key (shown once, keep it safe):\n\n    ${key}\n\n  Set JUGGERNAUT_ADMIN_KEY to choose your own.\n\n`);
      registerSecret(key);
      this.logger.info('generated the bootstrap admin API key');
    });
  }

  /** Resolves a presented key to its caller, or undefined when it is unknown, revoked or expired. */
  async authenticate(presented: string): Promise<Caller | undefined> {
    if (presented.length < 16 || presented.length > 512) return undefined;
    const hash = hashKey(presented);
    const row = await this.repo.findByHash(hash);
    if (!row || !sameHash(row.key_hash, hash)) return undefined;
    if (row.revoked_at || (row.expires_at && row.expires_at.getTime() <= Date.now())) return undefined;
    void this.repo.touch(row.id).catch(() => undefined);
    return { keyId: row.id, name: row.name, role: row.role };
  }

  async create(input: { name: string; role: Role; expiresAt?: string }, by: Caller): Promise<ApiKeyView & { key: string }> {
    const key = generateKey();
    registerSecret(key);
    const row = await this.repo.insert({
      name: input.name, role: input.role, hash: hashKey(key), prefix: keyPrefix(key), createdBy: by.name,
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
    });
    return { ...toView(row), key };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.repo.list()).map(toView);
  }

  async revoke(id: string): Promise<ApiKeyView> {
    const row = await this.repo.revoke(id);
    if (!row) throw new NotFoundException(`api key ${id} not found`);
    return toView(row);
  }

  /** Issues a new key with the same name and role and revokes the old one. */
  async rotate(id: string, by: Caller): Promise<ApiKeyView & { key: string }> {
    const old = await this.repo.findById(id);
    if (!old) throw new NotFoundException(`api key ${id} not found`);
    if (old.revoked_at) throw new ConflictException(`api key ${id} is revoked`);
    const fresh = await this.create({ name: old.name, role: old.role, ...(old.expires_at ? { expiresAt: old.expires_at.toISOString() } : {}) }, by);
    await this.repo.revoke(id);
    return fresh;
  }
}
