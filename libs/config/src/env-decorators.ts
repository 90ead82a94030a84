import { Transform } from 'class-transformer';

const SECRET_KEYS = Symbol('juggernaut:secret-env');

/** Marks an env variable as secret: its value is never echoed in errors and is redacted from logs. */
export function Secret(): PropertyDecorator {
  return (target, key) => {
    const list: string[] = Reflect.getMetadata(SECRET_KEYS, target) ?? [];
    Reflect.defineMetadata(SECRET_KEYS, [...list, String(key)], target);
  };
}

export function secretKeysOf(instance: object): string[] {
  return Reflect.getMetadata(SECRET_KEYS, Object.getPrototypeOf(instance)) ?? [];
}

/** Parses an integer from the env string; anything else is left for the validator to reject. */
export function ToInt(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));
}

/** Parses a number (integer or decimal). */
export function ToNumber(): PropertyDecorator {
  return Transform(({ value }) =>
    typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value,
  );
}

/** Parses `true/false/1/0/yes/no`. */
export function ToBool(): PropertyDecorator {
  return Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return value;
  });
}

/** Splits a comma-separated list, dropping blanks. */
export function ToList(): PropertyDecorator {
  return Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : value,
  );
}
