import type { RequestSubject, RequestSubjectMap } from '@juggernaut/contracts';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Request/reply against a test namespace, as another service would call: `call` answers the reply's
 * data (typed by the subject's contract) or throws an error carrying the remote `status`; `error`
 * expects a refusal and answers it. The payload is not typed: tests send invalid ones on purpose.
 */
export function natsRpc(nc: NatsConnection, namespace: string, timeoutMs = 10_000) {
  const send = async (subject: string, payload: unknown) =>
    (await nc.request(`${namespace}.${subject}`, JSON.stringify(payload), { timeout: timeoutMs })).json<
      { ok: true; data: unknown } | { ok: false; error: { status: number; message: string | string[] } }
    >();
  return {
    call: async <S extends RequestSubject>(subject: S, payload: unknown): Promise<RequestSubjectMap[S]['reply']> => {
      const reply = await send(subject, payload);
      if (!reply.ok)
        throw Object.assign(new Error(JSON.stringify(reply.error.message)), { status: reply.error.status });
      return reply.data as RequestSubjectMap[S]['reply'];
    },
    error: async (subject: string, payload: unknown): Promise<{ status: number; message: string }> => {
      const reply = await send(subject, payload);
      if (reply.ok) throw new Error(`expected ${subject} to be refused, got ${JSON.stringify(reply.data)}`);
      return { status: reply.error.status, message: JSON.stringify(reply.error.message) };
    },
  };
}
