/** A refusal a caller can act on; `status` follows HTTP (400 invalid, 404 missing, 409 wrong state). */
export class DevBotError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
