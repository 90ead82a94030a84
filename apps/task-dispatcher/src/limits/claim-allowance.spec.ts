import { allowanceOf, perTypeMax } from './claim-allowance';

describe("a limited type's allowance", () => {
  it('is the fewer of its free concurrency slots and its whole tokens', () => {
    expect(allowanceOf(3, 5)).toBe(3);
    expect(allowanceOf(4, 1)).toBe(1);
    expect(allowanceOf(0, 10)).toBe(0);
  });

  it('is bounded by the one limit a type has', () => {
    expect(allowanceOf(2, null)).toBe(2);
    expect(allowanceOf(null, 7)).toBe(7);
  });
});

describe('a claim over limited types', () => {
  it('takes up to its max of a type without limits, and up to the allowance of a limited one', () => {
    expect(
      perTypeMax(
        ['free', 'capped', 'rated'],
        10,
        new Map([
          ['capped', 2],
          ['rated', 0],
        ]),
      ),
    ).toEqual([10, 2, 0]);
  });

  it('never takes more than its max, however large the allowance', () => {
    expect(perTypeMax(['capped'], 4, new Map([['capped', 50]]))).toEqual([4]);
  });
});
