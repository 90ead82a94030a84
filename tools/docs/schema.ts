import { Client } from 'pg';

/**
 * Describes every table of the given Postgres schemas as Markdown, straight from the catalog of a
 * migrated database: columns, constraints, indexes and triggers. docs/SCHEMA.md is this output for
 * every service's schema (e2e/schema-docs.e2e.spec.ts regenerates it and fails on drift).
 */
export interface SchemaOwner {
  schema: string;
  service: string;
}

const cell = (s: string | null | undefined) => (s ?? '').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

export async function describeSchemas(url: string, owners: SchemaOwner[]): Promise<string> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const out: string[] = [
      '# Database schema',
      '',
      'Generated from the migrated database by `npm run docs:schema`; do not edit by hand. Each service owns one',
      "Postgres schema with its own `migrations` table; no service reads another's tables.",
      '',
    ];
    for (const { schema, service } of owners) {
      const tables = (
        await db.query(
          `SELECT c.oid, c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
          [schema],
        )
      ).rows as Array<{ oid: number; name: string; comment: string | null }>;
      out.push(`## ${schema} (${service})`, '', `Tables: ${tables.map((t) => `\`${t.name}\``).join(', ')}.`, '');
      for (const t of tables) {
        out.push(`### ${schema}.${t.name}`, '');
        if (t.comment) out.push(t.comment, '');
        const columns = (
          await db.query(
            `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
                  pg_get_expr(d.adbin, d.adrelid) AS default, col_description(a.attrelid, a.attnum) AS comment
             FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
            [t.oid],
          )
        ).rows as Array<{
          name: string;
          type: string;
          not_null: boolean;
          default: string | null;
          comment: string | null;
        }>;
        out.push('| column | type | null | default | note |', '|---|---|---|---|---|');
        for (const c of columns)
          out.push(
            `| \`${c.name}\` | ${cell(c.type)} | ${c.not_null ? 'not null' : 'null'} | ${c.default ? `\`${cell(c.default)}\`` : ''} | ${cell(c.comment)} |`,
          );
        out.push('');
        const constraints = (
          await db.query(
            `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1 ORDER BY contype, conname`,
            [t.oid],
          )
        ).rows as Array<{ name: string; def: string }>;
        if (constraints.length) {
          out.push('Constraints:', '');
          for (const c of constraints) out.push(`- \`${c.name}\`: \`${cell(c.def)}\``);
          out.push('');
        }
        const indexes = (
          await db.query(
            `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = $1 ORDER BY i.relname`,
            [t.oid],
          )
        ).rows as Array<{ name: string; def: string }>;
        if (indexes.length) {
          out.push('Indexes:', '');
          for (const i of indexes) out.push(`- \`${cell(i.def.replace(/ ON \S+ USING /, ' USING '))}\``);
          out.push('');
        }
        const triggers = (
          await db.query(
            `SELECT tgname AS name, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = $1 AND NOT tgisinternal ORDER BY tgname`,
            [t.oid],
          )
        ).rows as Array<{ name: string; def: string }>;
        if (triggers.length) {
          out.push('Triggers:', '');
          for (const tr of triggers) out.push(`- \`${cell(tr.def)}\``);
          out.push('');
        }
      }
    }
    return `${out.join('\n').trimEnd()}\n`;
  } finally {
    await db.end();
  }
}

/** Table headings whose sections differ between two renderings, to say where a drift is. */
export function changedTables(a: string, b: string): string[] {
  const sections = (text: string) =>
    new Map(
      text
        .split(/^### /m)
        .slice(1)
        .map((s) => [s.slice(0, s.indexOf('\n')), s]),
    );
  const sa = sections(a);
  const sb = sections(b);
  return [...new Set([...sa.keys(), ...sb.keys()])].filter((k) => sa.get(k) !== sb.get(k)).sort();
}
