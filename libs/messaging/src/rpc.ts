/** The envelope every request/reply answer travels in. */
export type RpcReply<T> = { ok: true; data: T } | { ok: false; error: { status: number; message: string | string[] } };

/** An error a responder answered with; `status` follows HTTP (400 invalid, 404 missing, 409 conflict). */
export class RpcError extends Error {
  constructor(
    readonly status: number,
    readonly details: string | string[],
  ) {
    super(Array.isArray(details) ? details.join('; ') : details);
    this.name = 'RpcError';
  }
}
