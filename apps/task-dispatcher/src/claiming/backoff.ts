/**
 * The jittered exponential backoff of a retry, as a SQL interval expression over SQL expressions
 * (so it runs on the database's clock, inside the set-based finish and reap statements):
 * base × 2^(attempts−1) ms, capped at max ms, times a random 0.5–1. `attempts` counts the attempt
 * that just failed (the first failure waits about `base`).
 */
export const backoff = (attempts: string, base: string, max: string) =>
  `make_interval(secs => least(${max}::double precision, ${base}::double precision * power(2, greatest(${attempts} - 1, 0))) * (0.5 + random() / 2) / 1000.0)`;
