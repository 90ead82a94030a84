/** Errors a caller can act on; `status` follows HTTP and survives the NATS hop to governance-api. */
export class ExperimentError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}
