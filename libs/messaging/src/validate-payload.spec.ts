import { RevenueRecordedV1 } from '@juggernaut/contracts';
import { validateFlatPayload, validatePayload } from './validate-payload';

const good = { eventId: 'e1', amountMinor: 1250, currency: 'USD', source: 'stripe', occurredAt: '2026-11-25T10:00:00Z' };

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
    expect(validatePayload(RevenueRecordedV1, JSON.stringify({ ...good, description: deep }))).toMatchObject({ ok: false });
  });
});

describe('validateFlatPayload', () => {
  const bodies = [
    good, { ...good, amountMinor: 12.5, currency: 'dollars' }, { ...good, extra: 1 }, { ...good, occurredAt: 'yesterday' },
    { eventId: 'x' }, { ...good, description: { nested: true } },
  ];

  it('gives the same verdict and reasons as validatePayload for flat classes', () => {
    for (const b of bodies) expect(validateFlatPayload(RevenueRecordedV1, JSON.stringify(b))).toEqual(validatePayload(RevenueRecordedV1, JSON.stringify(b)));
    expect(validateFlatPayload(RevenueRecordedV1, '{not json')).toEqual({ ok: false, reason: 'body is not valid JSON' });
    const r = validateFlatPayload(RevenueRecordedV1, JSON.stringify(good));
    expect(r.ok && r.value instanceof RevenueRecordedV1).toBe(true);
  });

  it('refuses a body that would replace the instance prototype', () => {
    expect(validateFlatPayload(RevenueRecordedV1, '{"__proto__": {"x": 1}, "eventId": "e"}')).toEqual({ ok: false, reason: 'body has a forbidden key "__proto__"' });
  });
});
