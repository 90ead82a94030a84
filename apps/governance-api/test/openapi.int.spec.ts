import { apiClient, TestStack } from '@juggernaut/testing';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TAG_DESCRIPTIONS } from '../src/http/openapi-conventions';
import { governanceApi } from '../src/service';

const ADMIN_KEY = 'test-admin-key-openapi-0123456789ab';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const REDOCLY = require.resolve('@redocly/cli/bin/cli.js');

interface Problem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: Array<{ pointer: string }>;
}

/** Redocly CLI's `lint` with its recommended rules (redocly.yaml beside this file), as CI runs it. */
function lint(document: unknown): Problem[] {
  const dir = mkdtempSync(join(tmpdir(), 'jg-openapi-'));
  try {
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
    const r = spawnSync(
      process.execPath,
      [REDOCLY, 'lint', join(dir, 'openapi.json'), '--config', join(__dirname, 'redocly.yaml'), '--format=json'],
      {
        encoding: 'utf8',
        // no usage telemetry, no update check: CI reaches no network but the registry
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const json = r.stdout.slice(r.stdout.indexOf('{'));
    return (JSON.parse(json) as { problems: Problem[] }).problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const describeProblem = (p: Problem) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`;

/**
 * The OpenAPI document at /docs-json, linted by a real OpenAPI linter (Redocly CLI, recommended
 * rules) at zero problems, and complete: every operation has a summary, its success answer with a
 * schema, and its error answers with the error body; servers and tag descriptions are there.
 * Conventions fill in what can be derived (http/openapi-conventions.ts); what cannot (the schema of
 * an answer) is named here, operation by operation, with the decorator that adds it.
 */
describe('the OpenAPI document', () => {
  let stack: TestStack;
  let doc: {
    servers?: unknown[];
    tags?: Array<{ name: string; description?: string }>;
    paths: Record<
      string,
      Record<
        string,
        {
          summary?: string;
          operationId?: string;
          tags?: string[];
          responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
        }
      >
    >;
  };

  beforeAll(async () => {
    stack = await TestStack.create('openapi');
    const { url } = await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN_KEY });
    doc = (await apiClient(url).get('/docs-json')).body;
  });

  afterAll(async () => {
    await stack?.close();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ name: `${m.toUpperCase()} ${path}`, ...item[m]! })),
    );

  it('passes Redocly CLI lint with the recommended rules, with no error and no warning', () => {
    expect(operations().length).toBeGreaterThan(60);
    expect(lint(doc).map(describeProblem)).toEqual([]);
  });

  it('documents, for every operation, its success answer with a schema (add @ApiOkResponse/@ApiCreatedResponse({ type }) to the handler)', () => {
    const missing = operations()
      .filter((op) => {
        const ok = Object.entries(op.responses).filter(([code]) => code.startsWith('2'));
        return !ok.some(([code, r]) => code === '204' || r.content?.['application/json']?.schema);
      })
      .map((op) => op.name);
    expect(missing).toEqual([]);
  });

  it('documents, for every operation, a summary and its error answers with the error body', () => {
    const gaps = operations().flatMap((op) => {
      const errors = Object.entries(op.responses).filter(([code]) => /^[45]/.test(code));
      return [
        ...(op.summary ? [] : [`${op.name}: no summary`]),
        ...(errors.length ? [] : [`${op.name}: no error answer`]),
        ...errors
          .filter(([, r]) => !r.content?.['application/json']?.schema)
          .map(([code]) => `${op.name}: ${code} without a body schema`),
      ];
    });
    expect(gaps).toEqual([]);
  });

  it('keeps the operationIds clients were generated from: unique, and those of the routes the gateway took over as published', () => {
    const ids = operations().map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const id = (path: string) => doc.paths[path]?.post?.operationId;
    expect([
      id('/api/v1/tasks/bulk-cancel'),
      id('/api/v1/tasks/bulk-retry'),
      id('/api/v1/task-types/{type}/pause'),
      id('/api/v1/task-types/{type}/resume'),
    ]).toEqual([
      'TaskBatchController_cancel',
      'TaskBatchController_retry',
      'TaskTypePauseController_pause',
      'TaskTypePauseController_resume',
    ]);
  });

  it('has servers and a description for every tag (add one to TAG_DESCRIPTIONS in http/openapi-conventions.ts)', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    const used = new Set(operations().flatMap((op) => op.tags ?? []));
    expect([...used].filter((t) => !doc.tags?.find((d) => d.name === t)?.description)).toEqual([]);
    expect(Object.keys(TAG_DESCRIPTIONS).filter((t) => !used.has(t))).toEqual([]);
  });

  it('the linter reports a broken document (it is not a rubber stamp)', () => {
    const broken = structuredClone(doc);
    broken.servers = [];
    const [path, item] = Object.entries(broken.paths)[0]!;
    const op = Object.values(item)[0]!;
    delete op.summary;
    const rules = lint(broken)
      .filter((p) => p.severity === 'error')
      .map((p) => p.ruleId);
    expect(rules).toEqual(expect.arrayContaining(['no-empty-servers', 'operation-summary']));
    expect(path).toMatch(/^\/api\/v1\//);
  });
});
