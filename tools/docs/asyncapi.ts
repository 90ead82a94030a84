import 'reflect-metadata';
import {
  Operations,
  PayloadClasses,
  type SignalSubject,
  Streams,
  Subjects,
  WorkerHeartbeatV1,
  PolicyDocumentV1,
  replyClass,
} from '@juggernaut/contracts';
import { createRequire } from 'node:module';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { ValidationTypes } from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { stringify } from 'yaml';

/**
 * The AsyncAPI 3 document of every NATS subject, generated from libs/contracts: the subject list
 * (`Subjects`), the JetStream streams (`Streams`), the request/reply operations as declared
 * (`Operations`: subject, request class, reply, description), and each payload class's
 * class-validator metadata as JSON Schema. `npm run docs:asyncapi` writes docs/asyncapi.yaml; the test beside this
 * file fails when the document and the contracts disagree, naming the subject.
 */
type Schema = Record<string, unknown>;
// class-transformer keeps its @Type metadata here (nested payload classes); the module has no typings of its own.
const { defaultMetadataStorage } = createRequire(__filename)('class-transformer/cjs/storage') as {
  defaultMetadataStorage: MetadataStorage;
};
type Ctor = new () => unknown;

/**
 * Core NATS signals whose payload is not a class in PayloadClasses. Typed against SignalSubject, so
 * a new signal in libs/contracts does not compile until it is described here.
 */
const SIGNALS: Record<SignalSubject, { description: string; payload: Ctor | Schema }> = {
  'juggernaut.runner.wake.v1': {
    description: 'Wakes runners to claim now (tasks became due); polling covers a lost wake-up.',
    payload: { type: 'object', properties: { reason: { type: 'string' } }, required: ['reason'] },
  },
  'juggernaut.task.claims.handed-back.v1': {
    description:
      'Between dispatcher replicas: a runner handed back claims whose answers never reached it, through one replica; every other replica hands back what a claim of these ids leased there (it reached a replica that stalled). A lost signal leaves such leases to the reaper.',
    payload: {
      type: 'object',
      properties: {
        workerId: { type: 'string' },
        claimIds: { type: 'array', items: { type: 'string', format: 'uuid' } },
        reason: { type: 'string' },
        origin: { type: 'string' },
      },
      required: ['workerId', 'claimIds', 'reason', 'origin'],
    },
  },
  'juggernaut.dispatch.presence.v1': {
    description:
      "Between dispatcher replicas: each says it is still here at every reaper tick, and that it is leaving when it stops. While one falls silent (frozen, starved) the others' reapers hold back, up to the reaper's grace: runners' heartbeats and reports may be waiting unanswered at it.",
    payload: {
      type: 'object',
      properties: {
        origin: { type: 'string' },
        intervalMs: { type: 'integer' },
        leaving: { type: 'boolean' },
      },
      required: ['origin', 'intervalMs'],
    },
  },
  'juggernaut.task.abort.v1': {
    description: 'Tells the runner holding a task to abort it (cancelled, or its lease was reclaimed).',
    payload: {
      type: 'object',
      properties: {
        taskId: { type: 'string', format: 'uuid' },
        workerId: { type: ['string', 'null'] },
        reason: { type: 'string' },
      },
      required: ['taskId', 'workerId', 'reason'],
    },
  },
  'juggernaut.worker.heartbeat.v1': {
    description: 'A runner announces itself and its load to the worker registry.',
    payload: WorkerHeartbeatV1,
  },
  'juggernaut.policy.changed.v1': {
    description: 'The policy in force changed (kill switch, limits); runners and the dispatcher apply it at once.',
    payload: PolicyDocumentV1,
  },
  'juggernaut.conversation.stream.v1': {
    description:
      "Progress of a conversation answer: the runner's text as the model writes it (delta), its tool calls (tool), a draft the runtime refused (retract), a summary stored (compacted); governance-api's done once the answer is stored. Relayed to callers as server-sent events; a lost one costs nothing, the stored answer is the truth.",
    payload: {
      type: 'object',
      properties: {
        conversationId: { type: 'string', format: 'uuid' },
        messageId: { type: 'string', format: 'uuid' },
        taskId: { type: 'string', format: 'uuid' },
        kind: { type: 'string', enum: ['delta', 'tool', 'retract', 'compacted', 'done'] },
        step: { type: 'integer' },
        text: { type: 'string' },
        tool: { type: 'string' },
        outcome: { type: 'string' },
        reason: { type: 'string' },
      },
      required: ['conversationId', 'messageId', 'kind'],
    },
  },
};

/** The answer of a refused or failed request (components.schemas.RequestError). */
const REQUEST_ERROR: Schema = {
  type: 'object',
  description: 'A refused or failed request, with an HTTP-like status (400 for invalid input).',
  properties: {
    ok: { const: false },
    error: {
      type: 'object',
      properties: { status: { type: 'integer' }, message: {} },
      required: ['status', 'message'],
    },
  },
  required: ['ok', 'error'],
};

/** The reply envelope, with the schema of `data` when the operation's reply is a class (or a list of one). */
const replyEnvelope = (data: Schema): Schema => ({
  description:
    'Every reply: `{ ok: true, data }`, or `{ ok: false, error: { status, message } }` with an HTTP-like status (400 for invalid input).',
  oneOf: [
    { type: 'object', properties: { ok: { const: true }, data }, required: ['ok', 'data'] },
    { $ref: '#/components/schemas/RequestError' },
  ],
});

/** Each request/reply operation by subject, as declared in libs/contracts. */
const OPERATIONS = new Map(Object.values(Operations).map((op) => [op.subject as string, op]));

export type SubjectKind = 'inbound' | 'event' | 'deadletter' | 'request' | 'signal';

/** How each subject travels. A subject in `Subjects` that fits no kind is an error naming it. */
export function classify(): Map<string, SubjectKind> {
  const kinds = new Map<string, SubjectKind>();
  for (const s of Streams.inbound.subjects) kinds.set(s, 'inbound');
  for (const s of Streams.events.subjects) kinds.set(s, 'event');
  for (const s of Streams.deadLetter.subjects) kinds.set(s, 'deadletter');
  for (const s of OPERATIONS.keys()) kinds.set(s, 'request');
  for (const s of Object.keys(SIGNALS)) if (!kinds.has(s)) kinds.set(s, 'signal');
  const unknown = Object.values(Subjects).filter((s) => !kinds.has(s));
  if (unknown.length) {
    throw new Error(
      `subjects in no stream, no declared operation and no entry in SIGNALS (tools/docs/asyncapi.ts): ${unknown.join(', ')}`,
    );
  }
  return kinds;
}

const key = (subject: string) =>
  subject
    .replace(/^juggernaut\./, '')
    .replace(/\.v(\d+)$/, 'V$1')
    .replace(/\.(\w)/g, (_, c: string) => c.toUpperCase());

/**
 * A property typed `Object` or `Record<…>` comes out as a reference to a schema named "Object";
 * it is an arbitrary JSON object. Any other reference to a missing schema is an error.
 */
function resolveDanglingRefs(schemas: Record<string, Schema>): void {
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const obj = node as Schema;
    const ref = obj['$ref'];
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/') && !schemas[ref.slice(21)]) {
      if (ref.slice(21) !== 'Object') throw new Error(`schema reference ${ref} has no class with validation metadata`);
      delete obj['$ref'];
      if (!obj['type'] && !obj['allOf']) obj['type'] = 'object';
    }
    for (const v of Object.values(obj)) visit(v);
  };
  visit(schemas);
}

export function buildAsyncApi(): Schema {
  const kinds = classify();
  const schemas = validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    classTransformerMetadataStorage: defaultMetadataStorage,
    additionalConverters: {
      // Custom class-validator decorators of libs/contracts, as JSON Schema.
      [ValidationTypes.CUSTOM_VALIDATION]: (meta) =>
        meta.name === 'isIntegerMap'
          ? { type: 'object', additionalProperties: { type: 'integer' } }
          : meta.name === 'isListMap'
            ? { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } }
            : {},
    },
  }) as Record<string, Schema>;
  resolveDanglingRefs(schemas);
  schemas['RequestError'] = REQUEST_ERROR;
  const classRef = (cls: Ctor): Schema => {
    if (!schemas[cls.name]) schemas[cls.name] = { type: 'object', description: `${cls.name} (no validated fields)` };
    return { $ref: `#/components/schemas/${cls.name}` };
  };
  const payloadRef = (subject: string): Schema => {
    const signal = SIGNALS[subject as SignalSubject];
    const cls =
      (PayloadClasses as Record<string, Ctor | undefined>)[subject] ??
      (signal && typeof signal.payload === 'function' ? (signal.payload as Ctor) : undefined);
    return cls ? classRef(cls) : (signal!.payload as Schema);
  };
  // A reply class with validation metadata is referenced; one without (a view) is named, its fields are in the OpenAPI document.
  const replyRef = (cls: Ctor): Schema =>
    schemas[cls.name] ? { $ref: `#/components/schemas/${cls.name}` } : { type: 'object', title: cls.name };
  const replyData = (subject: string): Schema => {
    const reply = replyClass(OPERATIONS.get(subject)!.reply);
    if (!reply) return {};
    return typeof reply === 'function' ? replyRef(reply) : { type: 'array', items: replyRef(reply[0]) };
  };
  const channels: Record<string, Schema> = {};
  const operations: Record<string, Schema> = {};
  const messages: Record<string, Schema> = {};
  const describe: Record<SubjectKind, string> = {
    inbound:
      'Inbound, captured by the JUGGERNAUT_INBOUND JetStream stream: delivered at least once, applied exactly once by its owner. An invalid message is dead-lettered, never lost.',
    event: 'Outbound domain event in the JUGGERNAUT_EVENTS JetStream stream, published through a transactional outbox.',
    deadletter: 'A message that failed validation or processing, with the reason, in the JUGGERNAUT_DEADLETTER stream.',
    request:
      'Request/reply over core NATS, answered by one replica of the owning service (queue group). The request is validated; an invalid one is answered with status 400.',
    signal: 'Core NATS signal: every listener receives it; its loss is covered by a fallback (polling, heartbeats).',
  };
  for (const subject of Object.values(Subjects).sort()) {
    const kind = kinds.get(subject)!;
    const id = key(subject);
    const signal = SIGNALS[subject as SignalSubject];
    const declared = OPERATIONS.get(subject);
    messages[id] = { name: id, title: subject, contentType: 'application/json', payload: payloadRef(subject) };
    const channel: Schema = {
      address: subject,
      title: subject,
      description: declared
        ? `${describe.request} ${declared.description}`
        : signal && kind !== 'signal'
          ? `${describe[kind]} ${signal.description}`
          : signal
            ? `${describe.signal} ${signal.description}`
            : describe[kind],
      messages: { [id]: { $ref: `#/components/messages/${id}` } },
    };
    channels[id] = channel;
    const replyId = `${id}Reply`;
    if (kind === 'request') {
      // The reply goes to the requester's inbox, the NATS reply subject of the request: no fixed address.
      messages[replyId] = {
        name: replyId,
        title: `${subject} reply`,
        contentType: 'application/json',
        payload: replyEnvelope(replyData(subject)),
      };
      channels[replyId] = {
        address: null,
        title: `${subject} reply`,
        description: "The requester's inbox (the request's NATS reply subject).",
        messages: { [replyId]: { $ref: `#/components/messages/${replyId}` } },
      };
    }
    const Id = `${id[0]!.toUpperCase()}${id.slice(1)}`;
    // From Juggernaut's side: it receives inbound messages and requests, and sends events, dead letters and signals.
    operations[kind === 'inbound' || kind === 'request' ? `receive${Id}` : `send${Id}`] = {
      action: kind === 'inbound' || kind === 'request' ? 'receive' : 'send',
      channel: { $ref: `#/channels/${id}` },
      messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
      ...(kind === 'request'
        ? {
            reply: {
              channel: { $ref: `#/channels/${replyId}` },
              messages: [{ $ref: `#/channels/${replyId}/messages/${replyId}` }],
            },
          }
        : {}),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Juggernaut NATS API',
      version: '1.0.0',
      description:
        'Every NATS subject Juggernaut speaks, generated from libs/contracts by `npm run docs:asyncapi`. Subjects are ' +
        '`juggernaut.<domain>.<event>.v<N>`; with NATS_NAMESPACE set, every subject and stream name is prefixed with ' +
        '`<namespace>.` and `<namespace>_`. Payloads are JSON; money is integer minor units.',
    },
    defaultContentType: 'application/json',
    servers: {
      nats: { host: 'localhost:4222', protocol: 'nats', description: 'NATS with JetStream (NATS_URL).' },
    },
    channels,
    operations,
    components: {
      messages,
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}

export const renderAsyncApi = (): string =>
  `# Generated from libs/contracts by \`npm run docs:asyncapi\`; do not edit by hand.\n${stringify(buildAsyncApi(), { lineWidth: 0 })}`;
