import { ValidateBy, type ValidationOptions } from 'class-validator';

export interface ListMapOptions {
  /** Keys must match this pattern. */
  key: RegExp;
  /** The values each list may hold. */
  values: readonly string[];
  /** Most entries accepted, so a hostile map cannot grow without bound. */
  maxEntries: number;
}

/**
 * A plain object whose keys match a pattern and whose values are lists of allowed words, each
 * at most once (class-validator has no decorator for `Record<string, string[]>`).
 */
export function IsListMap(opts: ListMapOptions, validation?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isListMap',
      validator: {
        validate(value: unknown): boolean {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          if (entries.length > opts.maxEntries) return false;
          return entries.every(([k, v]) => opts.key.test(k) && Array.isArray(v) && v.length <= opts.values.length
            && new Set(v).size === v.length && v.every((x) => typeof x === 'string' && opts.values.includes(x)));
        },
        defaultMessage(args): string {
          return `${args?.property ?? 'value'} must be an object of at most ${opts.maxEntries} entries whose keys match ${opts.key.source} and whose values are lists of ${opts.values.join(', ')} (each at most once)`;
        },
      },
    },
    validation,
  );
}
