import { Inject, Injectable } from '@nestjs/common';
import type { CreateLedgerAccountV1, LedgerAccountViewV1 } from '@juggernaut/contracts';
import { type Narrow, type Queryable } from '@juggernaut/persistence';
import { APP_CONFIG } from '@juggernaut/service-kit';
import { DataSource } from 'typeorm';
import type { LedgerEnv } from '../config';
import { LedgerError } from '../ledger-errors';
import { type AccountType, describeAccount, lineageOf, mayAutoCreate } from './chart-of-accounts';
import type { LedgerAccounts } from '../db/schema.generated';

export interface Account {
  id: string;
  name: string;
  type: AccountType;
  normalSign: 1 | -1;
  currency: string | null;
  noOverdraft: boolean;
}

type AccountRow = Narrow<
  Pick<LedgerAccounts, 'id' | 'name' | 'type' | 'currency' | 'no_overdraft'>,
  { type: AccountType }
>;

/**
 * The chart of accounts. Accounts are never deleted and their currency and overdraft rule are fixed
 * at creation, so a process may cache them for good; the cache keeps ingestion from looking up the
 * same few accounts for every event.
 */
@Injectable()
export class AccountsRepository {
  private readonly cache = new Map<string, Account>();

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: LedgerEnv,
  ) {}

  /**
   * The accounts with these names, creating (with their parents) those the auto-create policy
   * allows, or that lie beneath `alsoCreate` (the ledger's own accounts for payment providers). An
   * unknown account outside both is refused, naming it.
   */
  async resolve(names: Iterable<string>, alsoCreate: readonly string[] = []): Promise<Map<string, Account>> {
    const out = new Map<string, Account>();
    const missing: string[] = [];
    for (const n of new Set(names)) {
      const hit = this.cache.get(n);
      if (hit) out.set(n, hit);
      else missing.push(n);
    }
    if (missing.length === 0) return out;
    for (const a of await this.load(this.db, missing)) out.set(a.name, a);
    const toCreate = missing.filter((n) => !out.has(n));
    if (toCreate.length > 0) {
      const refused = toCreate.filter(
        (n) => !mayAutoCreate(n, this.config.LEDGER_AUTO_CREATE) && !mayAutoCreate(n, alsoCreate),
      );
      if (refused.length > 0) {
        throw new LedgerError(
          400,
          `account ${refused.join(', ')} does not exist and is not created on first use ` +
            `(created on first use: ${this.config.LEDGER_AUTO_CREATE.join(', ')}); create it first`,
        );
      }
      for (const n of toCreate) describeAccount(n);
      await this.insertLineages(
        this.db,
        toCreate.map((n) => ({ name: n })),
      );
      for (const a of await this.load(this.db, toCreate)) out.set(a.name, a);
    }
    return out;
  }

  async create(dto: CreateLedgerAccountV1): Promise<LedgerAccountViewV1> {
    describeAccount(dto.name);
    return this.db.transaction(async (em) => {
      const exists: unknown[] = await em.query(`SELECT 1 FROM ledger.accounts WHERE name = $1`, [dto.name]);
      if (exists.length > 0) throw new LedgerError(409, `account ${dto.name} already exists`);
      await this.insertLineages(em, [
        { name: dto.name, currency: dto.currency ?? null, noOverdraft: dto.noOverdraft ?? false },
      ]);
      const view = (await this.list(dto.name, em)).find((a) => a.name === dto.name);
      if (!view) throw new LedgerError(409, `account ${dto.name} was created concurrently`);
      return view;
    });
  }

  /** Accounts (all, or one and everything beneath it) with their own balances per currency. */
  async list(prefix?: string, db: Queryable = this.db): Promise<LedgerAccountViewV1[]> {
    const rows = (await db.query(
      `SELECT a.name, a.type, p.name AS parent, a.currency, a.no_overdraft, a.created_at,
              coalesce(json_agg(json_build_object('currency', b.currency, 'balanceMinor', b.balance_minor) ORDER BY b.currency)
                FILTER (WHERE b.currency IS NOT NULL), '[]') AS balances
       FROM ledger.accounts a
       LEFT JOIN ledger.accounts p ON p.id = a.parent_id
       LEFT JOIN ledger.balances b ON b.account_id = a.id
       WHERE $1::text IS NULL OR a.name = $1 OR a.name LIKE $2
       GROUP BY a.id, p.name ORDER BY a.name`,
      [prefix ?? null, prefix ? `${escapeLike(prefix)}:%` : null],
    )) as Array<
      Pick<LedgerAccounts, 'name' | 'type' | 'currency' | 'no_overdraft' | 'created_at'> & {
        parent: LedgerAccounts['name'] | null;
        balances: Array<{ currency: string; balanceMinor: number | string }>;
      }
    >;
    return rows.map((r) => ({
      name: r.name,
      type: r.type,
      parent: r.parent,
      currency: r.currency,
      noOverdraft: r.no_overdraft,
      createdAt: r.created_at.toISOString(),
      balances: r.balances.map((b) => ({ currency: b.currency, balanceMinor: Number(b.balanceMinor) })),
    }));
  }

  async exists(name: string): Promise<boolean> {
    if (this.cache.has(name)) return true;
    return (await this.load(this.db, [name])).length > 0;
  }

  /** The accounts among `names` that exist as `db` sees them (inside a transaction: committed ones, since accounts are never created in one). */
  async existing(db: Queryable, names: string[]): Promise<Map<string, Account>> {
    const out = new Map<string, Account>();
    const missing = names.filter((n) => {
      const hit = this.cache.get(n);
      if (hit) out.set(n, hit);
      return !hit;
    });
    if (missing.length) for (const a of await this.load(db, missing)) out.set(a.name, a);
    return out;
  }

  private async load(db: Queryable, names: string[]): Promise<Account[]> {
    const rows = (await db.query(
      `SELECT id, name, type, currency, no_overdraft FROM ledger.accounts WHERE name = ANY($1::text[])`,
      [names],
    )) as AccountRow[];
    return rows.map((r) => {
      const a: Account = {
        id: String(r.id),
        name: r.name,
        type: r.type,
        normalSign: describeAccount(r.name).normalSign,
        currency: r.currency,
        noOverdraft: r.no_overdraft,
      };
      this.cache.set(a.name, a);
      return a;
    });
  }

  /** Inserts accounts and their missing ancestors, parents first; racing creators are absorbed by ON CONFLICT. */
  private async insertLineages(
    db: Queryable,
    accounts: Array<{ name: string; currency?: string | null; noOverdraft?: boolean }>,
  ): Promise<void> {
    const wanted = new Map<string, { currency: string | null; noOverdraft: boolean }>();
    for (const a of accounts) {
      for (const n of lineageOf(a.name)) {
        if (!wanted.has(n))
          wanted.set(n, {
            currency: n === a.name ? (a.currency ?? impliedCurrency(n)) : impliedCurrency(n),
            noOverdraft: false,
          });
      }
      wanted.set(a.name, { currency: a.currency ?? impliedCurrency(a.name), noOverdraft: a.noOverdraft ?? false });
    }
    const ordered = [...wanted].sort(([x], [y]) => x.split(':').length - y.split(':').length || x.localeCompare(y));
    for (const [name, opts] of ordered) {
      const spec = describeAccount(name);
      await db.query(
        `INSERT INTO ledger.accounts (name, type, parent_id, currency, no_overdraft)
         VALUES ($1, $2, (SELECT id FROM ledger.accounts WHERE name = $3), $4, $5)
         ON CONFLICT (name) DO NOTHING`,
        [name, spec.type, spec.parent, opts.currency, opts.noOverdraft],
      );
    }
  }
}

/** `assets:cash:USD` holds only USD. */
function impliedCurrency(name: string): string | null {
  const m = /^assets:cash:([A-Z]{3})$/.exec(name);
  return m ? m[1]! : null;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
