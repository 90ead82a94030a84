import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';

export const TEST_NATS_URL = process.env['TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** A namespace for subjects, streams and consumers, unique to one test suite. */
export function testNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Deletes every stream the namespace created. */
export async function cleanupNamespace(namespace: string, url = TEST_NATS_URL): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${namespace}_`)) await jsm.streams.delete(name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}

export async function connectTestNats(url = TEST_NATS_URL): Promise<NatsConnection> {
  return connect({ servers: url });
}

/**
 * Reads every message a stream holds on one subject, through a throwaway consumer
 * (single `filter_subject`, which every JetStream server version supports).
 */
export async function readStream<T = unknown>(nc: NatsConnection, stream: string, subject: string): Promise<T[]> {
  const jsm = await jetstreamManager(nc);
  const name = `read_${randomBytes(4).toString('hex')}`;
  await jsm.consumers.add(stream, {
    name,
    filter_subject: subject,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: 30_000_000_000,
  });
  try {
    const consumer = await jetstream(nc).consumers.get(stream, name);
    const pending = (await consumer.info()).num_pending;
    const out: T[] = [];
    while (out.length < pending) {
      const batch = await consumer.fetch({ max_messages: Math.min(500, pending - out.length), expires: 2_000 });
      let n = 0;
      for await (const m of batch) {
        out.push(m.json<T>());
        n++;
      }
      if (n === 0) break;
    }
    return out;
  } finally {
    await jsm.consumers.delete(stream, name).catch(() => undefined);
  }
}
