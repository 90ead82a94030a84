import type { ValidationOptions } from 'class-validator';
import { IsPlainMap } from '../common/plain-map';

/** Names of metrics and of the numbers a conversion carries. */
export const METRIC_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const METRIC_VALUES_PER_CONVERSION = 20;
/** Largest magnitude of a metric value or covariate: sums of many stay exact enough in a double. */
export const MAX_COVARIATE = 1e12;
export const MAX_STRATUM = 64;

/** A plain object of at most 20 finite numbers (|v| ≤ 1e12) under metric names. */
export function IsMetricValueMap(validation?: ValidationOptions): PropertyDecorator {
  return IsPlainMap(
    {
      name: 'isMetricValueMap',
      key: METRIC_NAME,
      maxEntries: METRIC_VALUES_PER_CONVERSION,
      value: (v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_COVARIATE,
      describeValues: `finite numbers of magnitude at most ${MAX_COVARIATE}`,
    },
    validation,
  );
}
