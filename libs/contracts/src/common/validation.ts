/** Limits shared by HTTP bodies and NATS payloads. */
export const MAX_TEXT = 10_000;
export const MAX_NAME = 200;
/** Largest amount accepted in minor units: fits a Postgres bigint and stays exact in a JS number. */
export const MAX_MINOR = Number.MAX_SAFE_INTEGER;

const CUT = '… (truncated)';

/** A text within MAX_TEXT: its first part, marked as cut (a failure's reason is recorded, never refused for its length). */
export function cutText(text: string): string {
  return text.length <= MAX_TEXT ? text : text.slice(0, MAX_TEXT - CUT.length) + CUT;
}
