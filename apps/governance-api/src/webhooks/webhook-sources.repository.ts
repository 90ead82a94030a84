import { ConflictException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type {
  CreatedWebhookSourceV1,
  CreateWebhookSourceDto,
  WebhookMappingV1,
  WebhookScheme,
  WebhookSourceViewV1,
} from '@juggernaut/contracts';
import { registerSecret } from '@juggernaut/observability';
import { type Narrow, rowsOf } from '@juggernaut/persistence';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { AuditTrail } from '../audit/audit-trail';
import type { GovernanceEnv } from '../config';
import { SecretBox } from './secret-box';
import type { GovernanceWebhookSources } from '../db/schema.generated';

type SourceRow = Narrow<
  Pick<
    GovernanceWebhookSources,
    'name' | 'scheme' | 'tolerance_seconds' | 'mapping' | 'secret_ciphertext' | 'secret_prefix' | 'created_at'
  >,
  { scheme: WebhookScheme; mapping: WebhookMappingV1 }
>;

/** A source as the webhook needs it: with its secret, which never leaves this process. */
export interface WebhookSource {
  name: string;
  scheme: WebhookScheme;
  toleranceSeconds: number;
  mapping: WebhookMappingV1;
  secret: string;
}

function view(r: SourceRow): WebhookSourceViewV1 {
  return {
    name: r.name,
    scheme: r.scheme,
    toleranceSeconds: r.tolerance_seconds,
    mapping: r.mapping,
    secretPrefix: r.secret_prefix,
    createdAt: r.created_at.toISOString(),
    url: `/api/v1/webhooks/${r.name}`,
  };
}

/** Generic webhook sources, with their signing secrets encrypted at rest (secret-box.ts). */
@Injectable()
export class WebhookSourcesRepository {
  private readonly box?: SecretBox;

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) config: GovernanceEnv,
  ) {
    if (config.JUGGERNAUT_WEBHOOK_KEY) this.box = new SecretBox(config.JUGGERNAUT_WEBHOOK_KEY);
  }

  get configured(): boolean {
    return this.box !== undefined;
  }

  /** Creates a source and answers it with its secret, the one time the secret is shown; the audit entry commits with it. */
  async create(dto: CreateWebhookSourceDto, createdBy: string, trail: AuditTrail): Promise<CreatedWebhookSourceV1> {
    if (!this.box)
      throw new ServiceUnavailableException(
        'JUGGERNAUT_WEBHOOK_KEY is not set: generic webhook sources need it to keep their secrets encrypted',
      );
    if (dto.name === 'stripe')
      throw new ConflictException('stripe is the built-in Stripe webhook (STRIPE_WEBHOOK_SECRET)');
    const secret = dto.secret ?? `whsec_${randomBytes(32).toString('base64url')}`;
    registerSecret(secret);
    return this.db.transaction(async (tx) => {
      const rows = (await tx.query(
        `INSERT INTO governance.webhook_sources (name, scheme, tolerance_seconds, mapping, secret_ciphertext, secret_prefix, created_by)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING *`,
        [
          dto.name,
          dto.scheme ?? 'juggernaut',
          dto.toleranceSeconds ?? 300,
          JSON.stringify(dto.mapping),
          this.box!.seal(secret, dto.name),
          secret.slice(0, 10),
          createdBy,
        ],
      )) as SourceRow[];
      if (!rows[0]) throw new ConflictException(`webhook source ${dto.name} already exists`);
      const created = view(rows[0]);
      await trail.inTransaction(tx, created);
      return { ...created, secret };
    });
  }

  async list(): Promise<WebhookSourceViewV1[]> {
    return ((await this.db.query(`SELECT * FROM governance.webhook_sources ORDER BY name`)) as SourceRow[]).map(view);
  }

  async get(name: string): Promise<WebhookSourceViewV1> {
    const [row] = (await this.db.query(`SELECT * FROM governance.webhook_sources WHERE name = $1`, [
      name,
    ])) as SourceRow[];
    if (!row) throw new NotFoundException(`webhook source ${name} not found`);
    return view(row);
  }

  async delete(name: string, trail: AuditTrail): Promise<{ deleted: true }> {
    return this.db.transaction(async (tx) => {
      // a DELETE … RETURNING answers [rows, count] through TypeORM: rowsOf takes the rows
      const rows: SourceRow[] = rowsOf(
        await tx.query(`DELETE FROM governance.webhook_sources WHERE name = $1 RETURNING *`, [name]),
      );
      if (!rows[0]) throw new NotFoundException(`webhook source ${name} not found`);
      await trail.inTransaction(tx, { deleted: view(rows[0]) });
      return { deleted: true as const };
    });
  }

  /** The source with its secret, for checking a delivery; undefined when there is none (or no key to read it with). */
  async forDelivery(name: string): Promise<WebhookSource | undefined> {
    if (!this.box) return undefined;
    const [row] = (await this.db.query(`SELECT * FROM governance.webhook_sources WHERE name = $1`, [
      name,
    ])) as SourceRow[];
    if (!row) return undefined;
    const secret = this.box.open(row.secret_ciphertext, row.name);
    registerSecret(secret);
    return {
      name: row.name,
      scheme: row.scheme,
      toleranceSeconds: row.tolerance_seconds,
      mapping: row.mapping,
      secret,
    };
  }
}
