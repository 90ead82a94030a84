import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { NoRespondersError, type NatsConnection } from '@nats-io/transport-node';
import { PayloadClasses, Streams } from '@juggernaut/contracts';
import { apiClient, connectTestNats, eventually, readStream, TestStack } from '@juggernaut/testing';
import * as fc from 'fast-check';
import { Client } from 'pg';
import { devBot } from '../apps/dev-bot/src/service';
import { experimentTracker } from '../apps/experiment-tracker/src/service';
import { governanceApi } from '../apps/governance-api/src/service';
import { revenueLedger } from '../apps/revenue-ledger/src/service';
import { taskDispatcher } from '../apps/task-dispatcher/src/service';

const ADMIN = 'hostile-admin-key-0123456789abcdef';
const RUNS_PER_OPERATION = Number(process.env['HOSTILE_RUNS'] ?? 12);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

interface Schema {
  type?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  items?: Schema;
  allOf?: Schema[];
  example?: unknown;
  format?: string;
}
interface Operation {
  method: Method;
  path: string;
  parameters?: Array<{ name: string; in: string; schema?: Schema }>;
  body?: Schema;
}
/** The parts of the OpenAPI document the walk reads. */
interface OpenApiDoc {
  paths: Record<
    string,
    Partial<
      Record<
        Method,
        {
          parameters?: Operation['parameters'];
          requestBody?: { content?: Record<string, { schema?: Schema } | undefined> };
        }
      >
    >
  >;
  components: { schemas: Record<string, Schema> };
}

// ---- hostile values ------------------------------------------------------------------------

const EDGE_STRINGS = [
  '',
  '\u0000',
  '\uD800',
  '\uDFFF',
  'a\uD83D',
  '\u202Eevil',
  '\uFEFF',
  'é'.normalize('NFD'),
  '𝕏'.repeat(500),
  'Ω≈ç√∫',
  "'; DROP TABLE governance.api_keys; --",
  '" OR 1=1 --',
  '$1',
  '%00',
  '../../etc/passwd',
  '${process.exit()}',
  '<script>x</script>',
  'a'.repeat(20_000),
];
const HUGE_NUMBERS = [
  1e308,
  -1e308,
  2 ** 53 + 2,
  2 ** 64,
  -(2 ** 63),
  1.5,
  -1,
  Number.MIN_VALUE,
  9_007_199_254_740_993,
];

const edgeString = fc.oneof(fc.constantFrom(...EDGE_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }));
const hugeNumber = fc.oneof(fc.constantFrom(...HUGE_NUMBERS), fc.double({ noNaN: true, noDefaultInfinity: true }));
const deep = fc.integer({ min: 40, max: 400 }).map((n) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { d: v };
  return v;
});
const noise: fc.Arbitrary<unknown> = fc.oneof(
  edgeString,
  hugeNumber,
  deep,
  fc.constant(null),
  fc.boolean(),
  fc.array(edgeString, { maxLength: 3 }),
  fc.dictionary(edgeString, edgeString, { maxKeys: 3 }),
);

/** A non-null value that can never satisfy the schema's type. */
function wrongTypeFor(s: Schema): fc.Arbitrary<unknown> {
  const notString = fc.oneof(hugeNumber, fc.boolean(), fc.constant({}), fc.constant([1]), deep);
  switch (s.type) {
    case 'string':
      return s.enum
        ? fc.oneof(
            notString,
            edgeString.filter((v) => !s.enum!.includes(v)),
          )
        : notString;
    case 'integer':
    case 'number':
      return fc.oneof(
        edgeString.filter((v) => !/^\s*-?\d/.test(v) && v.trim() !== ''),
        fc.boolean(),
        fc.constant({}),
        fc.constant([]),
      );
    case 'boolean':
      return fc.oneof(edgeString, hugeNumber, fc.constant({}));
    case 'array':
      return fc.oneof(edgeString, hugeNumber, fc.constant({ length: 1 }));
    case 'object':
      return fc.oneof(edgeString, hugeNumber, fc.boolean(), fc.constant([{ a: 1 }]));
    default:
      return fc.oneof(edgeString, hugeNumber);
  }
}

/** Raw request texts a JSON body parser must refuse without falling over. */
const RAW_BODIES = [
  '{"a":',
  '{"a":1e999999}',
  '['.repeat(50_000),
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '\u0000',
  '{"a":"\\ud800"}',
  'null',
  '"string"',
  '12',
  '{"a":1,"a":2}',
  'x'.repeat(3 * 1024 * 1024),
];

// ---- the OpenAPI document ------------------------------------------------------------------

function resolve(doc: OpenApiDoc, s: Schema | undefined): Schema | undefined {
  if (!s) return undefined;
  if (s.$ref) return resolve(doc, doc.components.schemas[s.$ref.split('/').pop()!]);
  if (s.allOf) {
    const parts = s.allOf.map((p) => resolve(doc, p)!);
    return {
      type: 'object',
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
      required: parts.flatMap((p) => p.required ?? []),
    };
  }
  return s;
}

/** A value of the right shape for a schema, so the corruption is the only thing wrong with a body. */
function sample(s: Schema | undefined): unknown {
  if (!s) return 'x';
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return s.format === 'uuid'
        ? '7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001'
        : s.format === 'date-time'
          ? new Date().toISOString()
          : 'x';
  }
}

/**
 * A body the route must refuse: the schema's own fields (some filled with hostile noise) plus at
 * least one corruption that can never validate — an unknown field, a wrong type, or no object at all.
 */
function hostileBody(body: Schema): fc.Arbitrary<{ json?: unknown; raw?: string; why: string }> {
  const props = body.properties ?? {};
  const names = Object.keys(props);
  const typed = names.filter((n) => props[n]!.type);
  const skeleton = fc.record(
    Object.fromEntries(
      names.map((n) => [
        n,
        fc.oneof({ weight: 3, arbitrary: fc.constant(sample(props[n])) }, { weight: 1, arbitrary: noise }),
      ]),
    ),
  ) as fc.Arbitrary<Record<string, unknown>>;
  const unknownField = fc.tuple(skeleton, fc.string({ minLength: 1, maxLength: 20 }), noise).map(([b, k, v]) => ({
    json: { ...b, [`x_hostile_${k}`]: v },
    why: 'unknown field',
  }));
  const wrongType =
    typed.length === 0
      ? unknownField
      : fc
          .constantFrom(...typed)
          .chain((name) =>
            fc
              .tuple(skeleton, wrongTypeFor(props[name]!))
              .map(([b, v]) => ({ json: { ...b, [name]: v }, why: `wrong type for ${name}` })),
          );
  const notObject = fc
    .oneof(hugeNumber, edgeString, fc.array(noise, { maxLength: 3 }), fc.boolean())
    .map((json) => ({ json, why: 'not an object' }));
  const raw = fc.constantFrom(...RAW_BODIES).map((text) => ({ raw: text, why: 'malformed or oversized text' }));
  return fc.oneof(unknownField, wrongType, notObject, raw);
}

function pathValue(name: string): fc.Arbitrary<string> {
  const right = /id$/i.test(name)
    ? '7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001'
    : /version/i.test(name)
      ? '99999'
      : 'no-such-thing';
  return fc.oneof(
    fc.constant(right),
    edgeString.filter((s) => s.length > 0 && s.length < 5_000),
    hugeNumber.map(String),
  );
}

/** Percent-encodes UTF-8 bytes (lone surrogates become U+FFFD rather than throwing). */
function encodeSegment(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

// ---- stored data ---------------------------------------------------------------------------

/**
 * Row count and checksum of every table every service owns (last_used_at is only a touch on use).
 * The audit log is counted apart: a call that succeeds without changing anything (deleting a
 * schedule that does not exist) is still an attempt worth recording.
 */
async function snapshot(pg: Client): Promise<Record<string, string>> {
  const tables = (
    await pg.query(
      `SELECT table_schema, table_name FROM information_schema.tables
     WHERE table_schema IN ('governance', 'dispatch', 'ledger', 'experiments', 'devbot') AND table_type = 'BASE TABLE' AND table_name <> 'migrations'
       AND (table_schema, table_name) <> ('governance', 'audit_log')
     ORDER BY 1, 2`,
    )
  ).rows as Array<{ table_schema: string; table_name: string }>;
  const out: Record<string, string> = {};
  for (const t of tables) {
    const [{ n, sum }] = (
      await pg.query(
        `SELECT count(*)::text AS n, md5(coalesce(string_agg(md5((to_jsonb(x) - 'last_used_at')::text), '' ORDER BY md5((to_jsonb(x) - 'last_used_at')::text)), '')) AS sum
       FROM "${t.table_schema}"."${t.table_name}" x`,
      )
    ).rows;
    out[`${t.table_schema}.${t.table_name}`] = `${n}:${sum}`;
  }
  return out;
}

async function lastAuditId(pg: Client): Promise<string> {
  return (await pg.query('SELECT coalesce(max(id), 0)::text AS id FROM governance.audit_log')).rows[0].id;
}

/** The audit entries written after `afterId`. */
async function auditSince(
  pg: Client,
  afterId: string,
): Promise<Array<{ id: string; action: string; details: Record<string, unknown> | null }>> {
  return (
    await pg.query('SELECT id::text, action, details FROM governance.audit_log WHERE id > $1 ORDER BY id', [afterId])
  ).rows;
}

describe('hostile input to every route of the OpenAPI document and every NATS entry point', () => {
  let stack: TestStack;
  let url: string;
  let nc: NatsConnection;
  let pg: Client;
  let operations: Operation[];
  const wire = (s: string) => `${stack.namespace}.${s}`;

  beforeAll(async () => {
    stack = await TestStack.create('hostile');
    const gov = await stack.start(governanceApi, {
      JUGGERNAUT_ADMIN_KEY: ADMIN,
      JUGGERNAUT_RATE_LIMIT_BURST: '1000000',
      JUGGERNAUT_RATE_LIMIT_PER_SECOND: '100000',
      // the monitor would raise "no workers" mid-walk: that is a change this test did not cause
      JUGGERNAUT_MONITOR_INTERVAL_MS: '3600000',
    });
    url = gov.url;
    await stack.start(taskDispatcher);
    await stack.start(revenueLedger);
    await stack.start(experimentTracker);
    await stack.start(devBot);
    nc = await connectTestNats();
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
    const doc = (await apiClient(url).get<OpenApiDoc>('/docs-json')).body;
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({
        method,
        path,
        parameters: item[method]!.parameters,
        body: resolve(doc, item[method]!.requestBody?.content?.['application/json']?.schema),
      })),
    );
  });

  afterAll(async () => {
    await pg?.end();
    await nc?.close();
    await stack?.close();
  });

  it('answers every generated invalid request with a 4xx, never a 5xx, and changes no stored data', async () => {
    expect(operations.length).toBeGreaterThan(25);
    const before = await snapshot(pg);
    const auditBefore = await lastAuditId(pg);
    let succeededWrites = 0;
    const admin = apiClient(url, ADMIN);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (const op of operations) {
      const params = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const query = (op.parameters ?? []).filter((p) => p.in === 'query');
      const input = fc.record({
        path: fc.tuple(...params.map(pathValue)) as fc.Arbitrary<string[]>,
        query: fc.array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom(...(query.length ? query.map((q) => q.name) : ['limit'])),
              fc.string({ maxLength: 10 }),
            ),
            fc.oneof(edgeString, hugeNumber.map(String)),
          ),
          { maxLength: 4 },
        ),
        body: op.body
          ? hostileBody(op.body).map((b) => b as { json?: unknown; raw?: string; why: string } | undefined)
          : fc.constant(undefined),
      });
      await fc
        .assert(
          fc.asyncProperty(input, async ({ path, query: q, body }) => {
            let i = 0;
            const target =
              op.path.replace(/\{[^}]+\}/g, () => encodeSegment(path[i++]!)) +
              (q.length ? `?${q.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&')}` : '');
            const payload = body
              ? (body.raw ?? JSON.stringify(body.json))
              : op.method === 'get' || op.method === 'delete'
                ? undefined
                : '{}';
            const r = await admin.call(
              op.method.toUpperCase(),
              target,
              payload,
              payload !== undefined ? { 'content-type': 'application/json' } : {},
            );
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            if (op.method !== 'get' && r.status < 300) succeededWrites++;
            const label = `${op.method.toUpperCase()} ${op.path} (${body?.why ?? 'hostile params'}) -> ${r.status}`;
            if (r.status >= 500) failures.push(`${label}: ${JSON.stringify(r.body).slice(0, 300)}`);
            // a body that can never validate must be refused; without a body, a read or a miss (404) is fine
            if (body && (r.status < 400 || r.status >= 500)) failures.push(label);
            return r.status < 500;
          }),
          {
            numRuns: RUNS_PER_OPERATION,
            seed: Number(process.env['HOSTILE_SEED'] ?? Date.now() % 2 ** 31),
            endOnFailure: true,
          },
        )
        .catch((e: Error) => {
          failures.push(`${op.method.toUpperCase()} ${op.path}: ${e.message.split('\n').slice(0, 3).join(' ')}`);
        });
    }
    expect(failures).toEqual([]);
    // the inputs reached validation on many routes (a walk that only ever met 404s would prove little)
    expect(statuses.get(400)).toBeGreaterThan(operations.length);
    expect(await snapshot(pg)).toEqual(before);
    // Each write answered 2xx (no-ops such as deleting what does not exist) has one outcome entry. A
    // call governance refused itself adds nothing; one it forwarded to the service that owns the
    // resource, refused there, has its intent and a `.refused` outcome pointing at it — and no
    // entry is anything else (no `.failed`: every service answered).
    const added = await auditSince(pg, auditBefore);
    const intents = added.filter((e) => e.action.endsWith('.intent'));
    const outcomes = added.filter((e) => !e.action.endsWith('.intent'));
    expect(outcomes.filter((e) => /^http\.[a-z]+$/.test(e.action))).toHaveLength(succeededWrites);
    expect(outcomes.filter((e) => !/^http\.[a-z]+(\.refused)?$/.test(e.action)).map((e) => e.action)).toEqual([]);
    for (const intent of intents) expect(outcomes.filter((o) => o.details?.intentId === intent.id)).toHaveLength(1);
    expect(
      outcomes.filter((o) => o.action.endsWith('.refused') && !intents.some((i) => i.id === o.details?.intentId)),
    ).toEqual([]);
  });

  it('answers hostile payloads on every request/reply subject with a 4xx error, never a 5xx', async () => {
    const requestSubjects = Object.keys(PayloadClasses).filter(
      (s) =>
        !(Object.values(Streams) as Array<{ subjects: readonly string[] }>).some((d) =>
          d.subjects.includes(s as never),
        ),
    );
    const before = await snapshot(pg);
    const hostile = [
      '[1,2]',
      '"text"',
      '12',
      'not json',
      JSON.stringify({ x_hostile: '\uD800' }),
      JSON.stringify({ d: fc.sample(deep, { numRuns: 1, seed: 7 })[0] }),
    ];
    const answered: string[] = [];
    const failures: string[] = [];
    for (const subject of requestSubjects) {
      for (const body of hostile) {
        try {
          const reply = (await nc.request(wire(subject), body, { timeout: 5_000 })).json<
            { ok: true; data: unknown } | { ok: false; error: { status: number; message: unknown } }
          >();
          if (reply.ok || !(reply.error.status >= 400 && reply.error.status < 500))
            failures.push(`${subject} ${body.slice(0, 40)}: ${JSON.stringify(reply).slice(0, 200)}`);
          answered.push(subject);
        } catch (e) {
          // a subject no running service answers yet (a contract ahead of its implementation)
          if (!(e instanceof NoRespondersError) && !/no responders/i.test((e as Error).message)) throw e;
        }
      }
    }
    expect(failures).toEqual([]);
    expect(new Set(answered)).toEqual(expect.objectContaining({ size: expect.any(Number) }));
    expect(answered).toEqual(
      expect.arrayContaining([
        'juggernaut.task.submit.v1',
        'juggernaut.policy.get.v1',
        'juggernaut.approval.request.v1',
        'juggernaut.log.create.v1',
      ]),
    );
    expect(await snapshot(pg)).toEqual(before);
  });

  it('dead-letters hostile payloads on every consumed stream subject, with the reason, and goes on', async () => {
    const jsm = await jetstreamManager(nc);
    const consumed = new Set<string>();
    for (const def of Object.values(Streams)) {
      if (def.name === Streams.deadLetter.name) continue;
      for await (const c of jsm.consumers.list(`${stack.namespace}_${def.name}`)) {
        if (c.config.filter_subject) consumed.add(c.config.filter_subject.slice(stack.namespace.length + 1));
      }
    }
    expect([...consumed]).toEqual(expect.arrayContaining(['juggernaut.log.append.v1', 'juggernaut.worker.online.v1']));
    const js = jetstream(nc);
    for (const subject of consumed) {
      for (const body of [
        '[]',
        '"x"',
        JSON.stringify({ x_hostile: 1 }),
        JSON.stringify({ d: fc.sample(deep, { numRuns: 1, seed: 3 })[0] }),
      ]) {
        await js.publish(wire(subject), body);
      }
    }
    const letters = await eventually(async () => {
      const got = await readStream<{ subject: string; reason: string }>(
        nc,
        `${stack.namespace}_JUGGERNAUT_DEADLETTER`,
        wire('juggernaut.deadletter.v1'),
      );
      const per = new Map<string, number>();
      for (const l of got) per.set(l.subject, (per.get(l.subject) ?? 0) + 1);
      return [...consumed].every((s) => (per.get(s) ?? 0) >= 4) ? got : undefined;
    }, 20_000);
    expect(letters.every((l) => l.reason.startsWith('invalid payload'))).toBe(true);
    // the consumers went on: a valid log line after the hostile ones is stored
    await js.publish(
      wire('juggernaut.log.append.v1'),
      JSON.stringify({ workerId: 'after-hostile', action: 'ok', message: 'still consuming', logId: 'after-hostile-1' }),
    );
    await eventually(
      async () => (await apiClient(url, ADMIN).get('/api/v1/logs?workerId=after-hostile')).body.items.length === 1,
    );
  });
});
