import { IsInt, IsString, Min, validateSync, ValidateNested } from 'class-validator';
import { plainToInstance, Type } from 'class-transformer';
import { cacheValidationMetadata } from './validation-metadata-cache';

class Base {
  @IsString()
  name!: string;
}
class Child extends Base {
  @IsInt()
  n!: number;
}
class Holder {
  @ValidateNested({ each: true })
  @Type(() => Child)
  items!: Child[];
}

type Err = { property: string; constraints?: Record<string, string>; children?: Err[] };
const flat = (es: Err[], at = ''): string[] =>
  es.flatMap((e) => [
    ...Object.keys(e.constraints ?? {}).map((c) => `${at}${e.property}:${c}`),
    ...flat(e.children ?? [], `${at}${e.property}.`),
  ]);
/** Each failed rule as path:constraint, sorted. */
const errors = (cls: new () => object, plain: object) =>
  flat(validateSync(plainToInstance(cls, plain), { whitelist: true, forbidNonWhitelisted: true }))
    .sort()
    .join(' ');

describe('cacheValidationMetadata', () => {
  beforeAll(() => cacheValidationMetadata());

  it('gives the same verdicts, inherited and nested rules included, call after call', () => {
    for (let i = 0; i < 3; i++) {
      expect(errors(Child, { name: 'a', n: 1 })).toBe('');
      expect(errors(Child, { name: 1, n: 'x' })).toBe('n:isInt name:isString');
      expect(
        errors(Holder, {
          items: [
            { name: 'a', n: 1 },
            { name: 'b', n: 1.5 },
          ],
        }),
      ).toBe('items.1.n:isInt');
      expect(errors(Child, { name: 'a', n: 1, extra: true })).toBe('extra:whitelistValidation');
    }
  });

  it('sees a rule added after a class was first validated', () => {
    class Late {
      @IsInt()
      n!: number;
    }
    expect(errors(Late, { n: -1 })).toBe('');
    Min(0)(Late.prototype, 'n');
    expect(errors(Late, { n: -1 })).toBe('n:min');
  });

  it('is installed once however often it is called', () => {
    cacheValidationMetadata();
    cacheValidationMetadata();
    expect(errors(Child, { name: 'a', n: 1 })).toBe('');
  });
});
