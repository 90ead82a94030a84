import {
  ClaimTasksV1,
  CostRecordedV1,
  FinishTasksV1,
  HeartbeatLeasesV1,
  PayloadClasses,
  RevenueRecordedV1,
  TaskEventV1,
  TaskResultV1,
} from '@juggernaut/contracts';
import { TransformationType } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, validateSync } from 'class-validator';
import { compileChecks, validateFlatPayload, validatePayload } from './validate-payload';

const good = {
  eventId: 'e1',
  amountMinor: 1250,
  currency: 'USD',
  source: 'stripe',
  occurredAt: '2026-11-25T10:00:00Z',
};

describe('validatePayload', () => {
  it('accepts a valid payload', () => {
    const r = validatePayload(RevenueRecordedV1, JSON.stringify(good));
    expect(r.ok).toBe(true);
  });

  it('names every offending field', () => {
    const r = validatePayload(RevenueRecordedV1, JSON.stringify({ ...good, amountMinor: 12.5, currency: 'dollars' }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain('amountMinor');
      expect(r.reason).toContain('currency');
    }
  });

  it('refuses unknown fields, non-JSON, non-objects and deep nesting', () => {
    expect(validatePayload(RevenueRecordedV1, JSON.stringify({ ...good, extra: 1 }))).toMatchObject({ ok: false });
    expect(validatePayload(RevenueRecordedV1, '{not json')).toEqual({ ok: false, reason: 'body is not valid JSON' });
    expect(validatePayload(RevenueRecordedV1, '[1,2]')).toEqual({ ok: false, reason: 'body must be a JSON object' });
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(validatePayload(RevenueRecordedV1, JSON.stringify({ ...good, description: deep }))).toMatchObject({
      ok: false,
    });
  });
});

describe('validateFlatPayload', () => {
  const bodies = [
    good,
    { ...good, amountMinor: 12.5, currency: 'dollars' },
    { ...good, extra: 1 },
    { ...good, occurredAt: 'yesterday' },
    { eventId: 'x' },
    { ...good, description: { nested: true } },
  ];

  it('gives the same verdict and reasons as validatePayload for flat classes', () => {
    for (const b of bodies)
      expect(validateFlatPayload(RevenueRecordedV1, JSON.stringify(b))).toEqual(
        validatePayload(RevenueRecordedV1, JSON.stringify(b)),
      );
    expect(validateFlatPayload(RevenueRecordedV1, '{not json')).toEqual({
      ok: false,
      reason: 'body is not valid JSON',
    });
    const r = validateFlatPayload(RevenueRecordedV1, JSON.stringify(good));
    expect(r.ok && r.value instanceof RevenueRecordedV1).toBe(true);
  });

  /**
   * Every class validated the cheap way (the ledger's inbound events, the dispatcher's claim and finish
   * requests and each result in a finish, the monitor's task outcomes): none has a class-transformer
   * decorator, and each gets the same verdict and reasons as through class-transformer, valid or not.
   */
  const uuid = '0b6f4a52-7c1e-4a8e-9a43-5d2f1c9e8b70';
  const flat: Array<[new () => object, Array<Record<string, unknown>>]> = [
    [RevenueRecordedV1, bodies],
    [CostRecordedV1, [{ ...good, category: 'llm' }, { ...good, category: 7 }, { eventId: '' }]],
    [
      ClaimTasksV1,
      [
        {
          workerId: 'w',
          level: 3,
          capabilities: ['browser'],
          types: ['noop'],
          max: 64,
          claimId: uuid,
          timeoutMs: 5000,
          waitMs: 1000,
        },
        { workerId: 'w', level: 9, capabilities: [1], types: 'noop', max: 0 },
        { workerId: 'w', level: 1, capabilities: [], types: ['noop'], max: 1, extra: true },
      ],
    ],
    [
      FinishTasksV1,
      [
        { workerId: 'w', results: [{ taskId: uuid, claimToken: uuid, outcome: 'succeeded', result: { a: 1 } }] },
        { workerId: 'w', results: [] },
        { workerId: '', results: [1, 'x'] },
        { results: 'none', more: 1 },
      ],
    ],
    [
      TaskResultV1,
      [
        { taskId: uuid, claimToken: uuid, outcome: 'failed', error: 'boom', retryable: true },
        { taskId: 'x', claimToken: uuid, outcome: 'maybe', result: 'text' },
        { taskId: uuid, claimToken: uuid, outcome: 'succeeded', retryable: 'yes', extra: 1 },
      ],
    ],
    [
      TaskEventV1,
      [
        { taskId: uuid, type: 'noop', status: 'succeeded', attempt: 1, at: '2026-12-06T00:00:00.000Z', workerId: 'w' },
        { taskId: uuid, type: 'noop', status: 'done', attempt: -1, at: 'now' },
        { taskId: uuid, extra: 1 },
      ],
    ],
  ];

  it.each(flat.map(([cls, b]) => [cls.name, cls, b] as const))(
    '%s: no class-transformer decorator, and the same verdicts and reasons as validatePayload',
    (_name, cls, samples) => {
      const properties = new Set(
        getMetadataStorage()
          .getTargetValidationMetadatas(cls, undefined as unknown as string, false, false, undefined)
          .map((m) => m.propertyName),
      );
      expect(properties.size).toBeGreaterThan(0);
      for (const p of properties) {
        expect(defaultMetadataStorage.findTypeMetadata(cls, p)).toBeUndefined();
        expect(defaultMetadataStorage.findTransformMetadatas(cls, p, TransformationType.PLAIN_TO_CLASS)).toEqual([]);
      }
      expect(defaultMetadataStorage.getExposedMetadatas(cls)).toEqual([]);
      expect(defaultMetadataStorage.getExcludedMetadatas(cls)).toEqual([]);
      let valid = 0;
      for (const b of samples) {
        const cheap = validateFlatPayload(cls, JSON.stringify(b));
        expect(cheap).toEqual(validatePayload(cls, JSON.stringify(b)));
        if (cheap.ok) valid++;
      }
      // Each class is tried with a valid body and with invalid ones.
      expect(valid).toBeGreaterThan(0);
      expect(valid).toBeLessThan(samples.length);
    },
  );

  it('refuses a body that would replace the instance prototype', () => {
    expect(validateFlatPayload(RevenueRecordedV1, '{"__proto__": {"x": 1}, "eventId": "e"}')).toEqual({
      ok: false,
      reason: 'body has a forbidden key "__proto__"',
    });
  });
});

describe('compileChecks', () => {
  // A small deterministic generator, so a failure reproduces.
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const oddValues = [
    undefined,
    null,
    '',
    ' ',
    'x',
    'USD',
    'usd',
    'XXX',
    'EUR',
    '2026-11-25T10:00:00Z',
    '2026-02-30T10:00:00Z',
    '2026-11-25',
    'yesterday',
    0,
    1,
    -1,
    12.5,
    2 ** 53,
    Number.MAX_SAFE_INTEGER,
    1e300,
    true,
    false,
    [],
    ['USD'],
    {},
    { a: 1 },
    'a'.repeat(200),
    'a'.repeat(5000),
    'a'.repeat(20_000),
  ];
  const cost = {
    eventId: 'c1',
    amountMinor: 30,
    currency: 'EUR',
    category: 'llm:m',
    source: 'agent-runner',
    occurredAt: '2026-11-25T10:00:00.123Z',
  };
  const mutate = (base: Record<string, unknown>, keys: string[]) => {
    const body: Record<string, unknown> = { ...base };
    const n = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.1) body[`extra${i}`] = pick(oddValues);
      else if (r < 0.2) delete body[pick(keys)];
      else body[pick(keys)] = pick(oddValues);
    }
    return body;
  };
  const classValidatorSays = (cls: new () => object, body: Record<string, unknown>) =>
    validateSync(Object.assign(new cls(), body), {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: false,
    }).length === 0;

  it("gives class-validator's verdict on thousands of valid and broken revenue and cost bodies", () => {
    const cases: Array<[new () => object, Record<string, unknown>, string[]]> = [
      [
        RevenueRecordedV1,
        good,
        [
          ...Object.keys(good),
          'experimentId',
          'variantKey',
          'unitId',
          'description',
          'goalId',
          'customerRef',
          'opportunityId',
        ],
      ],
      [CostRecordedV1, cost, [...Object.keys(cost), 'taskId', 'experimentId', 'taskType', 'goalId', 'description']],
    ];
    let valid = 0;
    let invalid = 0;
    for (const [cls, base, keys] of cases) {
      const compiled = compileChecks(cls)!;
      expect(compiled).not.toBeNull();
      expect(compiled(Object.assign(new cls(), base))).toBe(true);
      for (let i = 0; i < 3_000; i++) {
        const body = mutate(base, keys);
        const expected = classValidatorSays(cls, body);
        expect({ body, verdict: compiled(Object.assign(new cls(), body)) }).toEqual({ body, verdict: expected });
        if (expected) valid++;
        else invalid++;
      }
    }
    // Both verdicts were exercised in quantity.
    expect(valid).toBeGreaterThan(500);
    expect(invalid).toBeGreaterThan(500);
  });

  it('agrees with class-validator on every payload class it compiles, and declines classes with nested rules', () => {
    let compiledCount = 0;
    for (const cls of new Set(Object.values(PayloadClasses) as Array<new () => object>)) {
      const compiled = compileChecks(cls);
      if (!compiled) continue;
      compiledCount++;
      const keys = Object.keys(new cls()).concat(['id', 'name', 'status']);
      for (let i = 0; i < 200; i++) {
        const body = mutate({}, keys);
        expect({ cls: cls.name, body, verdict: compiled(Object.assign(new cls(), body)) }).toEqual({
          cls: cls.name,
          body,
          verdict: classValidatorSays(cls, body),
        });
      }
    }
    expect(compiledCount).toBeGreaterThan(10);
    expect(compileChecks(HeartbeatLeasesV1)).toBeNull(); // @ValidateNested({ each: true })
  });

  it('is what validateFlatPayload uses: a valid body passes and an invalid one still gets every reason', () => {
    const r = validateFlatPayload(
      CostRecordedV1,
      JSON.stringify({ ...cost, amountMinor: 0, currency: 'dollars', extra: 1 }),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) for (const field of ['amountMinor', 'currency', 'extra']) expect(r.reason).toContain(field);
    expect(validateFlatPayload(CostRecordedV1, JSON.stringify(cost))).toMatchObject({ ok: true, value: cost });
  });
});

describe('NUL characters', () => {
  it('are refused in any string or key, naming where, and an escaped backslash is not mistaken for one', () => {
    expect(validateFlatPayload(RevenueRecordedV1, JSON.stringify({ ...good, description: 'a\u0000b' }))).toEqual({
      ok: false,
      reason: 'description must not contain NUL characters (\\u0000)',
    });
    expect(validatePayload(RevenueRecordedV1, JSON.stringify({ ...good, nested: { ['k\u0000']: 1 } }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('nested.k'),
    });
    expect(validateFlatPayload(RevenueRecordedV1, JSON.stringify({ ...good, description: 'C:\\u0000' }))).toMatchObject(
      { ok: true },
    );
  });
});
