import { Client } from 'pg';

/**
 * Writes the row type of every table of a Postgres schema as TypeScript, straight from the catalog of a
 * migrated database: one interface per table, one property per column, typed as node-postgres returns the
 * column by default. apps/<service>/src/db/schema.generated.ts is this output for each service's schema
 * (e2e/row-types.e2e.spec.ts regenerates them and fails on drift), and every repository's row type is a
 * `Pick` or `Narrow` of these interfaces, so a column a migration renames or retypes fails the typecheck.
 */

/** What node-postgres hands back for a base type (its default parsers: 64-bit and exact numbers stay strings). */
const SCALARS: Record<string, string> = {
  int2: 'number',
  int4: 'number',
  oid: 'number',
  float4: 'number',
  float8: 'number',
  int8: 'string',
  xid8: 'string',
  numeric: 'string',
  money: 'string',
  bool: 'boolean',
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  name: 'string',
  uuid: 'string',
  citext: 'string',
  inet: 'string',
  cidr: 'string',
  time: 'string',
  timetz: 'string',
  date: 'Date',
  timestamp: 'Date',
  timestamptz: 'Date',
  json: 'unknown',
  jsonb: 'unknown',
  bytea: 'Buffer',
};

interface ColumnInfo {
  name: string;
  /** The type's name, its kind (b base, e enum, d domain) and, for an array, its element's name and kind. */
  typname: string;
  typtype: string;
  elemname: string | null;
  elemtype: string | null;
  /** A domain's base type. */
  basename: string | null;
  not_null: boolean;
  comment: string | null;
}

/** The TypeScript type of one column value (without null). */
export function tsType(c: Pick<ColumnInfo, 'typname' | 'typtype' | 'elemname' | 'elemtype' | 'basename'>): string {
  const scalar = (name: string, kind: string | null, base: string | null): string => {
    if (kind === 'e') return 'string';
    if (kind === 'd' && base) return scalar(base, 'b', null);
    const ts = SCALARS[name];
    if (!ts) throw new Error(`row types: no TypeScript type for the Postgres type ${name}; add it to SCALARS`);
    return ts;
  };
  if (c.elemname) return `${scalar(c.elemname, c.elemtype, null)}[]`;
  return scalar(c.typname, c.typtype, c.basename);
}

/** `dispatch` + `task_runs` → `DispatchTaskRuns`. */
export function interfaceName(schema: string, table: string): string {
  return `${schema}_${table}`
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

const oneLine = (s: string) =>
  s
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\*\//g, '*\\/')
    .trim();
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export interface RowTypeOptions {
  /** Only these tables (all by default). */
  tables?: string[];
  /** Prefix of the interface names (the schema by default): '' for a table every schema has. */
  prefix?: string;
  /** Whose tables these are, for the header: `the <schema> schema (<service>)` by default. */
  owner?: string;
}

export async function describeRowTypes(
  url: string,
  schema: string,
  service: string,
  options: RowTypeOptions = {},
): Promise<string> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const tables = (
      await db.query(
        `SELECT c.oid, c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
            AND ($2::text[] IS NULL OR c.relname = ANY($2::text[])) ORDER BY c.relname`,
        [schema, options.tables ?? null],
      )
    ).rows as Array<{ oid: number; name: string; comment: string | null }>;
    if (options.tables && tables.length !== options.tables.length)
      throw new Error(`row types: ${schema} lacks one of ${options.tables.join(', ')}`);
    const out: string[] = [
      `// Generated from the migrated database by \`npm run db:row-types\`; do not edit by hand.`,
      '',
      '/*',
      ` * The row types of ${options.owner ?? `the ${schema} schema (${service})`}, one interface per table, as node-postgres returns`,
      ' * a row: bigint and numeric as strings, timestamps and dates as Date, json and jsonb as unknown, enums and',
      ' * checked text as string. A query declares its row as a Pick of these (or Narrow, from',
      ' * @juggernaut/persistence, for a jsonb shape or a checked union), so a column renamed or retyped by a',
      ' * migration fails the typecheck once this file is regenerated.',
      ' */',
      '',
    ];
    const names: Array<[string, string]> = [];
    for (const t of tables) {
      const columns = (
        await db.query(
          `SELECT a.attname AS name, t.typname, t.typtype, e.typname AS elemname, e.typtype AS elemtype,
                  b.typname AS basename, a.attnotnull AS not_null, col_description(a.attrelid, a.attnum) AS comment
             FROM pg_attribute a
             JOIN pg_type t ON t.oid = a.atttypid
             LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
             LEFT JOIN pg_type b ON b.oid = t.typbasetype AND t.typtype = 'd'
            WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
          [t.oid],
        )
      ).rows as ColumnInfo[];
      const name = interfaceName(options.prefix ?? schema, t.name);
      names.push([`${schema}.${t.name}`, name]);
      const table = options.prefix === '' ? t.name : `${schema}.${t.name}`;
      out.push(`/** ${table}${t.comment ? `: ${oneLine(t.comment)}` : ''} */`);
      out.push(`export interface ${name} {`);
      for (const c of columns) {
        if (c.comment) out.push(`  /** ${oneLine(c.comment)} */`);
        const key = IDENTIFIER.test(c.name) ? c.name : `'${c.name}'`;
        const ts = tsType(c);
        out.push(`  ${key}: ${ts}${c.not_null || ts === 'unknown' ? '' : ' | null'};`);
      }
      out.push('}', '');
    }
    if (!options.tables) {
      out.push(`/** Every table of the ${schema} schema by its qualified name. */`, 'export interface Tables {');
      for (const [qualified, name] of names) out.push(`  '${qualified}': ${name};`);
      out.push('}');
    }
    return `${out.join('\n').trimEnd()}\n`;
  } finally {
    await db.end();
  }
}

/** Interfaces whose declarations differ between two renderings, to say where a drift is. */
export function changedInterfaces(a: string, b: string): string[] {
  const blocks = (text: string) =>
    new Map(
      text
        .split(/^export interface /m)
        .slice(1)
        .map((s) => [s.slice(0, s.indexOf(' ')), s]),
    );
  const ba = blocks(a);
  const bb = blocks(b);
  return [...new Set([...ba.keys(), ...bb.keys()])].filter((k) => ba.get(k) !== bb.get(k)).sort();
}
