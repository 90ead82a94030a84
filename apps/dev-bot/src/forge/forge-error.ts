/** A forge call that failed; the message has the forge's own reason and never the token. */
export class ForgeError extends Error {
  constructor(
    message: string,
    /** HTTP status, or null when the forge could not be reached. */
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'ForgeError';
  }
}
