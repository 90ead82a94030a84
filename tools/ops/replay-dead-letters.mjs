#!/usr/bin/env node
// `npm run replay-dead-letters -- [--subject S] [--since ISO-8601] [--service NAME] [--dry-run]`
// Reads the dead letters kept in the JUGGERNAUT_DEADLETTER stream and publishes each one's original
// message again on its original subject, once the cause is fixed. Only inbound subjects (the
// JUGGERNAUT_INBOUND stream) are replayed: their consumers apply each message exactly once (by
// eventId or logId), so replaying a letter whose message was applied after all changes nothing.
// Uses NATS_URL, NATS_NAMESPACE, NATS_USER/NATS_PASS like the services (replies on _INBOX.<user>);
// against the local stack's own nats-server it logs in as its `operator` user. The stream keeps the
// letters: a replay does not remove them; use --since to replay only newer ones.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_NATS_URL, stateDir } from '../stack/services.mjs';

const { values: opts } = parseArgs({
  options: {
    subject: { type: 'string' },
    since: { type: 'string' },
    service: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
});
if (opts.since && Number.isNaN(Date.parse(opts.since))) {
  console.error(`--since must be an ISO-8601 time, got ${opts.since}`);
  process.exit(2);
}
const ns = process.env.NATS_NAMESPACE;
const wire = (s) => (ns ? `${ns}.${s}` : s);
const stream = ns ? `${ns}_JUGGERNAUT_DEADLETTER` : 'JUGGERNAUT_DEADLETTER';

const localUsers = join(stateDir, 'nats-users.json');
const login = process.env.NATS_USER
  ? { user: process.env.NATS_USER, pass: process.env.NATS_PASS ?? '' }
  : !process.env.NATS_URL && existsSync(localUsers)
    ? { user: 'operator', pass: JSON.parse(readFileSync(localUsers, 'utf8')).operator }
    : null;
const nc = await connect({
  servers: (process.env.NATS_URL || DEFAULT_NATS_URL).split(',').map((s) => s.trim()),
  ...(login ? { ...login, inboxPrefix: `_INBOX.${login.user}` } : {}),
});
let replayed = 0;
let skipped = 0;
try {
  const jsm = await jetstreamManager(nc);
  // The inbound subjects, as the services configured the stream at boot.
  const inbound = new Set(
    (await jsm.streams.info(ns ? `${ns}_JUGGERNAUT_INBOUND` : 'JUGGERNAUT_INBOUND')).config.subjects,
  );
  const name = `replay_${randomBytes(4).toString('hex')}`;
  await jsm.consumers.add(stream, {
    name,
    filter_subject: wire('juggernaut.deadletter.v1'),
    ack_policy: AckPolicy.None,
    ...(opts.since
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(opts.since).toISOString() }
      : { deliver_policy: DeliverPolicy.All }),
    inactive_threshold: 30_000_000_000,
  });
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream, name);
    let pending = (await consumer.info()).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(500, pending), expires: 2_000 });
      let n = 0;
      for await (const m of batch) {
        n++;
        const letter = m.json();
        const wanted =
          (!opts.subject || letter.subject === opts.subject) && (!opts.service || letter.service === opts.service);
        if (!wanted) continue;
        if (!inbound.has(wire(letter.subject))) {
          skipped++;
          console.log(`skip  #${m.seq} ${letter.subject}: not an inbound subject`);
          continue;
        }
        if (!opts['dry-run']) await js.publish(wire(letter.subject), new TextEncoder().encode(letter.data));
        replayed++;
        console.log(
          `${opts['dry-run'] ? 'would replay' : 'replayed'} #${m.seq} ${letter.subject} (${letter.service}: ${letter.reason.slice(0, 120)})`,
        );
      }
      if (n === 0) break;
      pending -= n;
    }
  } finally {
    await jsm.consumers.delete(stream, name).catch(() => undefined);
  }
} finally {
  await nc.close();
}
console.log(`${opts['dry-run'] ? 'would replay' : 'replayed'} ${replayed}, skipped ${skipped}`);
