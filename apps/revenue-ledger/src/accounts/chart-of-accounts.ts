import { ACCOUNT_NAME_PATTERN, type AccountRoot } from '@juggernaut/contracts';
import { LedgerError } from '../ledger-errors';

export type AccountType = 'asset' | 'liability' | 'equity' | 'revenue' | 'expense';

const TYPE_OF_ROOT: Record<AccountRoot, AccountType> = {
  assets: 'asset',
  liabilities: 'liability',
  equity: 'equity',
  revenue: 'revenue',
  expense: 'expense',
};

export interface AccountSpec {
  name: string;
  type: AccountType;
  /** +1 for debit-normal accounts (assets, expenses), -1 for credit-normal ones (liabilities, equity, revenue). */
  normalSign: 1 | -1;
  parent: string | null;
}

/** What an account name says about the account: its type, normal side and parent. */
export function describeAccount(name: string): AccountSpec {
  if (!ACCOUNT_NAME_PATTERN.test(name)) {
    throw new LedgerError(
      400,
      `account "${name}" is not a valid account name (root:segment…, root one of assets, liabilities, equity, revenue, expense)`,
    );
  }
  const segments = name.split(':');
  const type = TYPE_OF_ROOT[segments[0] as AccountRoot];
  return {
    name,
    type,
    normalSign: type === 'asset' || type === 'expense' ? 1 : -1,
    parent: segments.length > 1 ? segments.slice(0, -1).join(':') : null,
  };
}

/** The account and every ancestor, root first: `expense:llm:x` → `expense`, `expense:llm`, `expense:llm:x`. */
export function lineageOf(name: string): string[] {
  const segments = name.split(':');
  return segments.map((_, i) => segments.slice(0, i + 1).join(':'));
}

/**
 * Whether an account may be created the first time something posts to it. `roots` are prefixes
 * (`revenue`, `assets:cash`): an account at or beneath one of them may be created on first use.
 */
export function mayAutoCreate(name: string, roots: readonly string[]): boolean {
  return roots.some((r) => name === r || name.startsWith(`${r}:`));
}

/** The revenue account of a source and the expense account of a category (`llm:gpt-4o` → `expense:llm:gpt-4o`). */
export function revenueAccount(source: string): string {
  return `revenue:${accountSegments(source)}`;
}

export function expenseAccount(category: string): string {
  return `expense:${accountSegments(category)}`;
}

export function cashAccount(currency: string): string {
  return `assets:cash:${currency}`;
}

/** Turns free text from another system into account segments: unusual characters become "_". */
function accountSegments(text: string): string {
  const segments = text
    .split(':')
    .map((s) =>
      s
        .trim()
        .replace(/[^A-Za-z0-9_.@+\-/]/g, '_')
        .slice(0, 64),
    )
    .filter((s) => s.length > 0);
  return (segments.length ? segments : ['unknown']).slice(0, 6).join(':');
}
