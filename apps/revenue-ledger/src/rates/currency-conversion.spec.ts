import { minorUnitDigits, toBaseMinor } from './currency-conversion';

describe('currency conversion', () => {
  it('knows minor unit sizes', () => {
    expect(minorUnitDigits('USD')).toBe(2);
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(minorUnitDigits('BHD')).toBe(3);
  });

  it('converts exactly, adjusting for minor unit sizes, rounding toward zero', () => {
    expect(toBaseMinor(15_000, 'JPY', '0.0065', 'USD')).toBe(9_750);
    expect(toBaseMinor(10_000, 'EUR', '1.0842', 'USD')).toBe(10_842);
    expect(toBaseMinor(1, 'EUR', '1.5', 'USD')).toBe(1);
    expect(toBaseMinor(1_000, 'BHD', '2.65', 'USD')).toBe(265);
    expect(toBaseMinor(123, 'USD', '7', 'USD')).toBe(123);
    expect(toBaseMinor(9_007_199_254_740_991, 'EUR', '1', 'USD')).toBe(9_007_199_254_740_991);
  });
});
