import { ValidateBy, type ValidationOptions } from 'class-validator';

export interface PlainMapOptions {
  /** The validator's name, as class-validator reports it. */
  name: string;
  /** Keys must match this pattern. */
  key: RegExp;
  /** Most entries accepted, so a hostile map cannot grow without bound. */
  maxEntries: number;
  /** Whether one value is acceptable. */
  value: (v: unknown) => boolean;
  /** The acceptable values, for the message: "whose values are <this>". */
  describeValues: string;
}

/**
 * A plain object (no arrays, no class instances) of at most `maxEntries` entries whose keys match a
 * pattern and whose values pass a check — the shape class-validator has no decorator for.
 */
export function IsPlainMap(opts: PlainMapOptions, validation?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: opts.name,
      validator: {
        validate(value: unknown): boolean {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          return entries.length <= opts.maxEntries && entries.every(([k, v]) => opts.key.test(k) && opts.value(v));
        },
        defaultMessage(args): string {
          return `${args?.property ?? 'value'} must be an object of at most ${opts.maxEntries} entries whose keys match ${opts.key.source} and whose values are ${opts.describeValues}`;
        },
      },
    },
    validation,
  );
}
