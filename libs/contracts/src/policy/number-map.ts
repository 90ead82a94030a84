import { ValidateBy, type ValidationOptions } from 'class-validator';

export interface NumberMapOptions {
  /** Keys must match this pattern. */
  key: RegExp;
  min: number;
  max: number;
  /** Most entries accepted, so a hostile map cannot grow without bound. */
  maxEntries: number;
}

/**
 * A plain object whose values are integers in [min, max] and whose keys match a pattern
 * (class-validator has no decorator for `Record<string, number>`).
 */
export function IsIntegerMap(opts: NumberMapOptions, validation?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIntegerMap',
      validator: {
        validate(value: unknown): boolean {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          if (entries.length > opts.maxEntries) return false;
          return entries.every(([k, v]) => opts.key.test(k) && Number.isSafeInteger(v) && (v as number) >= opts.min && (v as number) <= opts.max);
        },
        defaultMessage(args): string {
          return `${args?.property ?? 'value'} must be an object of at most ${opts.maxEntries} entries whose keys match ${opts.key.source} and whose values are integers from ${opts.min} to ${opts.max}`;
        },
      },
    },
    validation,
  );
}
