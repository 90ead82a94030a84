import { Injectable } from '@nestjs/common';
import type {
  CheckCommandV1,
  ForgeConfigV1,
  GatePolicyOverridesV1,
  RegisterRepositoryV1,
  RepositoryV1,
} from '@juggernaut/contracts';
import type { Narrow } from '@juggernaut/persistence';
import { DataSource } from 'typeorm';
import { DevBotError } from '../dev-bot-errors';
import type { DevbotRepositories } from '../db/schema.generated';

type RepositoryRow = Narrow<
  DevbotRepositories,
  { checks: CheckCommandV1[]; gate_policy: GatePolicyOverridesV1; forge: ForgeConfigV1 }
>;

/** The repositories dev-bot may develop, with their checks, gate policy and forge. */
@Injectable()
export class RepositoriesRepository {
  constructor(private readonly db: DataSource) {}

  /** Registers a repository or replaces its settings (changes already made keep theirs). */
  async register(dto: RegisterRepositoryV1): Promise<RepositoryV1> {
    const rows = (await this.db.query(
      `INSERT INTO devbot.repositories (name, clone_url, default_branch, checks, gate_policy, forge)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (name) DO UPDATE SET clone_url = EXCLUDED.clone_url, default_branch = EXCLUDED.default_branch,
         checks = EXCLUDED.checks, gate_policy = EXCLUDED.gate_policy, forge = EXCLUDED.forge, updated_at = now()
       RETURNING *`,
      [
        dto.name,
        dto.cloneUrl,
        dto.defaultBranch ?? 'main',
        JSON.stringify(dto.checks ?? []),
        JSON.stringify(dto.gatePolicy ?? {}),
        JSON.stringify(dto.forge ?? { kind: 'local' }),
      ],
    )) as RepositoryRow[];
    return view(rows[0]!);
  }

  async list(): Promise<RepositoryV1[]> {
    return ((await this.db.query(`SELECT * FROM devbot.repositories ORDER BY name`)) as RepositoryRow[]).map(view);
  }

  async find(name: string): Promise<RepositoryV1 | undefined> {
    const rows = (await this.db.query(`SELECT * FROM devbot.repositories WHERE name = $1`, [name])) as RepositoryRow[];
    return rows[0] ? view(rows[0]) : undefined;
  }

  async get(name: string): Promise<RepositoryV1> {
    const found = await this.find(name);
    if (!found) throw new DevBotError(404, `repository "${name}" is not registered`);
    return found;
  }
}

function view(r: RepositoryRow): RepositoryV1 {
  return {
    name: r.name,
    cloneUrl: r.clone_url,
    defaultBranch: r.default_branch,
    checks: r.checks,
    gatePolicy: r.gate_policy,
    forge: r.forge,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
