/** Limits shared by HTTP bodies and NATS payloads. */
export const MAX_TEXT = 10_000;
export const MAX_NAME = 200;
/** Largest amount accepted in minor units: fits a Postgres bigint and stays exact in a JS number. */
export const MAX_MINOR = Number.MAX_SAFE_INTEGER;
