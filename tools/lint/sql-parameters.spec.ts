import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Every value in SQL is bound as a parameter. This reads the source of every app and library with
 * the TypeScript parser and finds each piece of text spliced into the SQL handed to `.query(...)` or
 * `preparedQuery(on, sql, ...)`.
 * Each one must be a reviewed fragment below (an identifier quoted by quoteIdent, a fixed SQL
 * constant, a choice between fixed strings, a placeholder number): a new interpolation fails this
 * test until someone has looked at it. Placeholders built in WHERE-clause builders
 * (`$${params.length}`) may only splice the parameter count, and the conditions given to
 * `SqlWhere.add` must be fixed text.
 */
const root = join(__dirname, '..', '..');

/** file → the expressions it may splice into SQL text, with why each is safe. */
const REVIEWED: Record<string, Record<string, string>> = {
  'apps/dev-bot/src/changes/changes.repository.ts': {
    'where.clause': 'SqlWhere: fixed conditions, values bound',
    'where.bind(limit + 1)': "SqlWhere: a bound value's placeholder",
  },
  'apps/experiment-tracker/src/experiments/experiments.repository.ts': {
    lock: "' FOR UPDATE' or ''",
    'where.clause': 'SqlWhere: fixed conditions, values bound',
    'where.bind((q.limit ?? 50) + 1)': "SqlWhere: a bound value's placeholder",
  },
  'apps/experiment-tracker/src/analysis/variant-stats.repository.ts': {
    'query.sql':
      'buildQuery() and buildUnitsQuery(): fixed SQL fragments with numbered columns; metric names, caps, lookback, period starts and the kept snapshot bound as $n',
  },
  'apps/experiment-tracker/src/ingestion/ingestion.repository.ts': {
    insert: 'a fixed INSERT … SELECT over unnest($n) arrays',
    rows: 'a fixed unnest($n) of the batch arrays, with ordinality',
  },
  'apps/experiment-tracker/src/migrations/1766000000000-experiment-data-versions.ts': {
    table: 'table names from a fixed list in the migration',
    ANY_EXPERIMENT: "the migration's fixed uuid for a change to any experiment",
    UNIT_REVENUE: "the migration's fixed uuid for unit revenue",
  },
  'apps/experiment-tracker/src/migrations/1767000000000-experiment-unit-changes.ts': {
    table: 'table names from a fixed list in the migration',
  },
  'apps/experiment-tracker/src/migrations/1764200000000-experiments.ts': {
    t: 'table names from a fixed list in the migration',
  },
  'apps/governance-api/src/auth/api-keys.repository.ts': { "lock ? ' FOR UPDATE' : ''": 'fixed strings' },
  'apps/governance-api/src/approvals/approvals.repository.ts': { "forUpdate ? ' FOR UPDATE' : ''": 'fixed strings' },
  'apps/governance-api/src/policies/policies.repository.ts': { "forUpdate ? ' FOR UPDATE' : ''": 'fixed strings' },
  'apps/governance-api/src/logs/logs.repository.ts': {
    'where.clause': 'SqlWhere: fixed conditions, values bound',
    'where.bind(limit)': "SqlWhere: a bound value's placeholder",
  },
  'apps/governance-api/src/opportunities/opportunities.repository.ts': {
    'where.clause': 'SqlWhere: fixed conditions, values bound',
    'where.bind(limit)': "SqlWhere: a bound value's placeholder",
  },
  'apps/revenue-ledger/src/migrations/1764100000000-ledger-double-entry.ts': {
    table: 'table names from a fixed list in the migration',
  },
  'apps/revenue-ledger/src/reports/pnl.repository.ts': {
    'KEY_SQL[q.groupBy]': 'a fixed map keyed by a validated enum',
  },
  'apps/revenue-ledger/src/reconciliation/reconciliations.repository.ts': {
    'where.clause': 'SqlWhere: fixed conditions, values bound',
    'where.bind(limit + 1)': "SqlWhere: a bound value's placeholder",
  },
  'apps/revenue-ledger/src/transactions/transactions.repository.ts': {
    SELECT_VIEW: 'fixed SQL constant',
    'where.clause': 'SqlWhere: fixed conditions, values bound',
    'where.bind(limit + 1)': "SqlWhere: a bound value's placeholder",
  },
  'apps/task-dispatcher/src/claiming/leases.repository.ts': {
    HAND_OFF: 'fixed SQL constant',
    FINISH_UPDATE: 'fixed SQL constant',
    FINISH_INPUT: 'fixed SQL constant',
    EXPIRED_STATUS: 'fixed SQL constant (attempt-end.ts)',
    EXPIRED_REASON: 'fixed SQL constant (attempt-end.ts)',
    EXPIRED_EXHAUSTED: 'fixed SQL constant (attempt-end.ts)',
    text: 'claimStatement(): fixed SQL whose values are all bound parameters',
  },
  'apps/task-dispatcher/src/dispatch-metrics.ts': {
    q: 'TASK_GAUGE_STATEMENTS: fixed SQL constants',
    TASKS_DUE_OR_RUNNING: 'fixed SQL constant',
  },
  'apps/task-dispatcher/src/tasks/bulk-operations.ts': {
    'where.clause': 'SqlWhere: fixed conditions, values bound',
    'where.bind(limit + 1)': "SqlWhere: a bound value's placeholder",
  },
  'apps/task-dispatcher/src/tasks/tasks.repository.ts': {
    INSERT_TASK: 'fixed SQL constant',
    INSERT_BATCH: 'fixed SQL constant',
    'where.clause': 'SqlWhere: fixed conditions, values bound',
    'where.bind((q.limit ?? 50) + 1)': "SqlWhere: a bound value's placeholder",
  },
  'libs/persistence/src/data-source.ts': { 'quoteIdent(schema)': 'identifier quoted' },
  'libs/persistence/src/prepared-query.ts': {
    '{ name: nameOf(text), text, values: params }':
      "the statement a caller handed to preparedQuery (each call's SQL is checked here) under a name of its digest",
  },
  'libs/persistence/src/outbox.ts': { 'quoteIdent(schema)': 'identifier quoted' },
  'libs/persistence/src/service-role.ts': {
    schema: 'the schema name, quoted by quoteIdent',
    ownerId: 'the owner role, quoted by quoteIdent',
    runtimeId: 'the runtime role, quoted by quoteIdent',
    defaults: 'ALTER DEFAULT PRIVILEGES FOR ROLE <ownerId> IN SCHEMA <schema>: identifiers quoted by quoteIdent',
    ADOPT_STATEMENTS: 'fixed SQL constant (schema and role bound as $1, $2)',
    'r.sql': 'a statement built by server-side format(%I, %s of regtype/regprocedure) from catalog names',
    placeholders: '$1 … $n',
    template: 'format() template with %I identifiers',
    'rows[0]!.sql': 'the output of format(%I)',
  },
  'libs/service-kit/src/outbox-relay.ts': {
    'quoteIdent(outboxChannel(this.schema))': 'identifier quoted',
    'this.selectBatch(after)':
      'the lock and the batch read: the outbox table and the lock key from a schema that passed quoteIdent, digits() of an outbox id, the batch size as an integer',
    'deleteAcked(this.table, acked)':
      'the quoted outbox table and ids that passed digits() (ids the database returned)',
  },
};

/** Helpers whose output is fixed SQL text (arguments are literals or other fixed fragments). */
const FIXED_FRAGMENT_CALLS = new Set([
  'transitionCtes',
  'selectRecorded',
  'outboxTableSql',
  'backoff',
  'sortKey',
  'tokensAllowed',
  'tokensLeft',
]);

/** A literal: string, number, true/false, or an object literal of literals. */
function isLiteral(n: ts.Node): boolean {
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isNumericLiteral(n)) return true;
  if (n.kind === ts.SyntaxKind.TrueKeyword || n.kind === ts.SyntaxKind.FalseKeyword) return true;
  return (
    ts.isObjectLiteralExpression(n) && n.properties.every((p) => ts.isPropertyAssignment(p) && isLiteral(p.initializer))
  );
}

/** What may follow the `$` of a placeholder: the parameter count, or an index plus one. */
const PLACEHOLDER_NUMBER = /^((this\.)?params\.length( - \d+)?|i \+ 1)$/;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.spec.ts')) out.push(p);
  }
  return out;
}

interface Splice {
  file: string;
  line: number;
  expr: string;
}

function scan(): { splices: Splice[]; placeholders: Splice[] } {
  const dirs = [
    ...readdirSync(join(root, 'apps')).map((a) => join(root, 'apps', a, 'src')),
    // libs/testing talks to Postgres as the test's administrator, not as a service
    ...readdirSync(join(root, 'libs'))
      .filter((l) => l !== 'testing')
      .map((l) => join(root, 'libs', l, 'src')),
  ];
  const splices: Splice[] = [];
  const placeholders: Splice[] = [];
  for (const file of dirs.flatMap((d) => {
    try {
      return sourceFiles(d);
    } catch {
      return [];
    }
  })) {
    const rel = relative(root, file);
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const at = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
    const visit = (n: ts.Node): void => {
      // The SQL of `.query(sql, …)` and of `preparedQuery(on, sql, …)`
      const sql = !ts.isCallExpression(n)
        ? undefined
        : ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'query'
          ? n.arguments[0]
          : ts.isIdentifier(n.expression) && n.expression.text === 'preparedQuery'
            ? n.arguments[1]
            : undefined;
      if (sql) {
        if (ts.isTemplateExpression(sql)) {
          for (const span of sql.templateSpans) {
            const e = span.expression;
            const fixedCall =
              ts.isCallExpression(e) &&
              ts.isIdentifier(e.expression) &&
              FIXED_FRAGMENT_CALLS.has(e.expression.text) &&
              e.arguments.every(isLiteral);
            if (!fixedCall) splices.push({ file: rel, line: at(e), expr: e.getText() });
          }
        } else if (!ts.isStringLiteral(sql) && !ts.isNoSubstitutionTemplateLiteral(sql)) {
          const fixedCall =
            ts.isCallExpression(sql) &&
            ts.isIdentifier(sql.expression) &&
            FIXED_FRAGMENT_CALLS.has(sql.expression.text);
          if (!fixedCall) splices.push({ file: rel, line: at(sql), expr: sql.getText() });
        }
      }
      // WHERE-clause builders: a condition may splice in nothing but a placeholder number
      if (
        ts.isCallExpression(n) &&
        ts.isPropertyAccessExpression(n.expression) &&
        n.expression.name.text === 'push' &&
        ts.isIdentifier(n.expression.expression) &&
        n.expression.expression.text === 'where'
      ) {
        for (const arg of n.arguments) {
          if (!ts.isTemplateExpression(arg)) continue;
          const texts = [arg.head.text, ...arg.templateSpans.map((s) => s.literal.text)];
          arg.templateSpans.forEach((span, i) => {
            if (!texts[i]!.endsWith('$'))
              placeholders.push({ file: rel, line: at(span.expression), expr: span.expression.getText() });
          });
        }
      }
      // SqlWhere: a condition is fixed text; its values go in as further arguments
      if (
        ts.isCallExpression(n) &&
        ts.isPropertyAccessExpression(n.expression) &&
        n.expression.name.text === 'add' &&
        ts.isIdentifier(n.expression.expression) &&
        n.expression.expression.text === 'where'
      ) {
        const condition = n.arguments[0];
        if (condition && !ts.isStringLiteral(condition) && !ts.isNoSubstitutionTemplateLiteral(condition)) {
          placeholders.push({ file: rel, line: at(condition), expr: condition.getText() });
        }
      }
      // `$${…}` builds a placeholder: only the parameter count may go there
      if (ts.isTemplateExpression(n)) {
        const texts = [n.head.text, ...n.templateSpans.map((s) => s.literal.text)];
        n.templateSpans.forEach((span, i) => {
          if (texts[i]!.endsWith('$') && !PLACEHOLDER_NUMBER.test(span.expression.getText())) {
            placeholders.push({ file: rel, line: at(span.expression), expr: span.expression.getText() });
          }
        });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { splices, placeholders };
}

describe('SQL parameters', () => {
  const { splices, placeholders } = scan();

  it('finds the SQL of every service (a scan that saw nothing would prove nothing)', () => {
    expect(splices.length).toBeGreaterThan(30);
    expect(new Set(splices.map((s) => s.file.split('/')[1])).size).toBeGreaterThanOrEqual(6);
  });

  it('splices into SQL text only reviewed identifiers and fixed fragments, never a value', () => {
    const unreviewed = splices
      .filter((s) => REVIEWED[s.file]?.[s.expr] === undefined)
      .map((s) => `${s.file}:${s.line} \${${s.expr}}`);
    expect(unreviewed).toEqual([]);
  });

  it('builds $n placeholders only from the parameter count, and WHERE conditions splice in nothing else', () => {
    expect(placeholders.map((s) => `${s.file}:${s.line} $\${${s.expr}}`)).toEqual([]);
  });

  it('keeps the review list current: every reviewed fragment still exists', () => {
    const seen = new Set(splices.map((s) => `${s.file} ${s.expr}`));
    const stale = Object.entries(REVIEWED)
      .flatMap(([file, exprs]) => Object.keys(exprs).map((e) => `${file} ${e}`))
      .filter((k) => !seen.has(k));
    expect(stale).toEqual([]);
  });
});
