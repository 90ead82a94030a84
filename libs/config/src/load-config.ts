import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { secretKeysOf } from './env-decorators';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type EnvSource = Record<string, string | undefined>;

/**
 * Reads the environment into a typed, validated config object once, at boot.
 * Empty strings count as unset, so defaults apply. The first problem is reported on one line
 * naming the variable and what was expected; a secret's value is never echoed.
 */
export function loadConfig<T extends object>(cls: new () => T, env: EnvSource = process.env): T {
  const plain: Record<string, unknown> = {};
  for (const key of declaredKeys(cls)) {
    const value = env[key];
    if (value !== undefined && value !== '') plain[key] = value;
  }
  const instance = plainToInstance(cls, plain, { exposeDefaultValues: true });
  const errors = validateSync(instance, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(describe(errors[0]!, secretKeysOf(instance), plain));
  }
  return instance;
}

/** Only the variables a config class declares are read: the rest of the environment never enters it. */
function declaredKeys(cls: new () => object): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

function describe(error: ValidationError, secrets: string[], plain: Record<string, unknown>): string {
  const name = error.property;
  // A type mismatch explains more than a range check on the same value, so it is named first.
  const entries = Object.entries(error.constraints ?? {}).sort(([a], [b]) => rank(a) - rank(b));
  const constraint = entries[0]?.[1] ?? `${name} is invalid`;
  const raw = plain[name];
  const shown = raw === undefined ? 'not set' : secrets.includes(name) ? 'value hidden' : `got ${JSON.stringify(raw)}`;
  return `Invalid configuration: ${name}: ${constraint} (${shown})`;
}

function rank(constraint: string): number {
  return /^(is(Int|String|Number|Boolean|In|Url|Defined)|matches)/.test(constraint) ? 0 : 1;
}

/** Values of every secret env variable in a config, for log redaction. */
export function secretValuesOf(config: object): string[] {
  return secretKeysOf(config)
    .map((k) => (config as Record<string, unknown>)[k])
    .filter((v): v is string => typeof v === 'string' && v.length >= 4);
}
