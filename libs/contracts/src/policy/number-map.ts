import type { ValidationOptions } from 'class-validator';
import { IsPlainMap } from '../common/plain-map';

export interface NumberMapOptions {
  /** Keys must match this pattern. */
  key: RegExp;
  min: number;
  max: number;
  /** Most entries accepted, so a hostile map cannot grow without bound. */
  maxEntries: number;
}

/** A plain object whose values are integers in [min, max] and whose keys match a pattern. */
export function IsIntegerMap(opts: NumberMapOptions, validation?: ValidationOptions): PropertyDecorator {
  return IsPlainMap(
    {
      name: 'isIntegerMap',
      key: opts.key,
      maxEntries: opts.maxEntries,
      value: (v) => Number.isSafeInteger(v) && (v as number) >= opts.min && (v as number) <= opts.max,
      describeValues: `integers from ${opts.min} to ${opts.max}`,
    },
    validation,
  );
}
