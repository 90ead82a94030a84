import { applyMapping, mappingProblems, MappingError, minorUnits, parseBody, readPointer } from './webhook-mapping';

describe('generic webhook mappings', () => {
  it('reads JSON pointers with their escapes and array indexes', () => {
    const doc = { a: { 'b/c': [{ 'd~e': 7 }] } };
    expect(readPointer(doc, '/a/b~1c/0/d~0e')).toBe(7);
    expect(readPointer(doc, '/a/missing')).toBeUndefined();
    expect(readPointer(doc, '')).toBe(doc);
  });

  it('names every problem of a mapping', () => {
    expect(
      mappingProblems({ eventId: 'id', amount: '/a', kinds: { x: 'gift' }, attribution: { who: '/w' }, extra: 1 }),
    ).toEqual([
      'mapping.extra is not a mapping field',
      'mapping.eventId must be a JSON pointer such as "/data/id"',
      'mapping.currency or mapping.currencyConstant is required',
      'mapping.kinds.x must be one of payment, fee, refund, dispute_opened, dispute_won, dispute_lost, payout, payout_failed',
      'mapping.attribution.who is not an attribution field (experimentId, variantKey, unitId, goalId, opportunityId, customerRef)',
    ]);
    expect(mappingProblems({ eventId: '/id', amount: '/a', currencyConstant: 'USD' })).toEqual([]);
  });

  it('turns amounts into minor units exactly, by the currency', () => {
    expect(minorUnits('12.5', 'major', 'USD')).toBe(1_250);
    expect(minorUnits('0.30', 'major', 'EUR')).toBe(30);
    expect(minorUnits('1500', 'major', 'JPY')).toBe(1_500);
    expect(minorUnits('1.234', 'major', 'KWD')).toBe(1_234);
    expect(minorUnits(1_250, 'minor', 'USD')).toBe(1_250);
    expect(() => minorUnits('1.234', 'major', 'USD')).toThrow(MappingError);
    expect(() => minorUnits('-5', 'minor', 'USD')).toThrow(MappingError);
    expect(() => minorUnits('12.50', 'minor', 'USD')).toThrow(MappingError);
  });

  it('reads an event through its mapping, leaves kinds it does not name alone, and reads form bodies', () => {
    const mapping = {
      eventId: '/sale_id',
      kind: '/resource_name',
      kinds: { sale: 'payment', refund: 'refund' },
      amount: '/price',
      currency: '/currency',
      occurredAt: '/sale_timestamp',
      ref: '/sale_id',
      paymentRef: '/sale_id',
      attribution: { experimentId: '/url_params[exp]' },
    };
    const doc = parseBody(
      Buffer.from(
        'sale_id=s1&resource_name=sale&price=990&currency=usd&sale_timestamp=2026-12-01T10:00:00Z&url_params%5Bexp%5D=e7',
      ),
      'application/x-www-form-urlencoded',
    );
    expect(applyMapping(mapping, doc, new Date())).toEqual({
      eventId: 's1',
      eventType: 'sale',
      movement: {
        kind: 'payment',
        ref: 's1',
        paymentRef: 's1',
        amountMinor: 990,
        currency: 'USD',
        occurredAt: '2026-12-01T10:00:00.000Z',
        experimentId: 'e7',
      },
    });
    expect(applyMapping(mapping, { ...(doc as object), resource_name: 'dispute' }, new Date()).movement).toBeNull();
    expect(() =>
      applyMapping({ ...mapping, kinds: { sale: 'refund' }, paymentRef: undefined }, doc, new Date()),
    ).toThrow(/needs the payment/);
  });
});
