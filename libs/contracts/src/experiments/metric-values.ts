import { ValidateBy, type ValidationOptions } from 'class-validator';

/** Names of metrics and of the numbers a conversion carries. */
export const METRIC_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const METRIC_VALUES_PER_CONVERSION = 20;
/** Largest magnitude of a metric value or covariate: sums of many stay exact enough in a double. */
export const MAX_COVARIATE = 1e12;
export const MAX_STRATUM = 64;

/**
 * A plain object of at most 20 finite numbers (|v| ≤ 1e12) under metric names (class-validator has
 * no decorator for `Record<string, number>`).
 */
export function IsMetricValueMap(validation?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isMetricValueMap',
      validator: {
        validate(value: unknown): boolean {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          if (entries.length > METRIC_VALUES_PER_CONVERSION) return false;
          return entries.every(([k, v]) => METRIC_NAME.test(k) && typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_COVARIATE);
        },
        defaultMessage(args): string {
          return `${args?.property ?? 'value'} must be an object of at most ${METRIC_VALUES_PER_CONVERSION} entries whose keys match ${METRIC_NAME.source} and whose values are finite numbers of magnitude at most ${MAX_COVARIATE}`;
        },
      },
    },
    validation,
  );
}
