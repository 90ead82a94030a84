import type { ValidationOptions } from 'class-validator';
import { IsPlainMap } from '../common/plain-map';

export interface ListMapOptions {
  /** Keys must match this pattern. */
  key: RegExp;
  /** The values each list may hold. */
  values: readonly string[];
  /** Most entries accepted, so a hostile map cannot grow without bound. */
  maxEntries: number;
}

/** A plain object whose keys match a pattern and whose values are lists of allowed words, each at most once. */
export function IsListMap(opts: ListMapOptions, validation?: ValidationOptions): PropertyDecorator {
  return IsPlainMap(
    {
      name: 'isListMap',
      key: opts.key,
      maxEntries: opts.maxEntries,
      value: (v) =>
        Array.isArray(v) &&
        v.length <= opts.values.length &&
        new Set(v).size === v.length &&
        v.every((x) => typeof x === 'string' && opts.values.includes(x)),
      describeValues: `lists of ${opts.values.join(', ')} (each at most once)`,
    },
    validation,
  );
}
