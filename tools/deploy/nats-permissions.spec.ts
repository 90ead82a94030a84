import { Operations, PayloadClasses, Streams, Subjects } from '@juggernaut/contracts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * deploy/nats/nats-server.conf against the contracts and the code, without a server: every contract
 * subject has a publisher and every request and signal a listener, and each service's user is
 * allowed exactly the subjects its code speaks. e2e/nats-auth.e2e.spec.ts runs the file on a real
 * nats-server.
 */
const root = join(__dirname, '..', '..');
const CONFIG = join(root, 'deploy', 'nats', 'nats-server.conf');
const SERVICES = [
  'governance-api',
  'revenue-ledger',
  'task-dispatcher',
  'experiment-tracker',
  'dev-bot',
  'agent-runner',
] as const;
const USERS = [...SERVICES, 'external', 'operator'] as const;

/** Each user's publish and subscribe allow lists, read from the file. */
function permissionsOf(text: string): Record<string, { publish: string[]; subscribe: string[] }> {
  const out: Record<string, { publish: string[]; subscribe: string[] }> = {};
  const code = text
    .split('\n')
    .map((l) => l.replace(/^\s*#.*$/, ''))
    .join('\n');
  for (const block of code.split(/\buser: /).slice(1)) {
    const user = /^"([^"]+)"/.exec(block)![1]!;
    const list = (kind: string) =>
      [...(new RegExp(`${kind}: \\{\\s*allow: \\[([^\\]]*)\\]`).exec(block)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map(
        (m) => m[1]!,
      );
    out[user] = { publish: list('publish'), subscribe: list('subscribe') };
  }
  return out;
}

const SUBJECT_NAMES = Subjects as Record<string, string>;
/** dev-bot's subjects by the contract that its code does not speak yet (its change pipeline). */
const DEVBOT_PIPELINE: string[] = [
  Subjects.changeOpened,
  Subjects.changeMerged,
  Subjects.changeClosed,
  Subjects.deadLetter,
  Subjects.costRecorded,
  Subjects.logAppend,
  Subjects.workerOnline,
  Subjects.workerOffline,
  Subjects.workerHeartbeat,
  Subjects.taskClaim,
  Subjects.taskHeartbeat,
  Subjects.taskFinish,
  Subjects.taskRelease,
  Subjects.taskCheckpoint,
  Subjects.taskBlock,
  Subjects.taskUnblock,
  Subjects.policyGet,
  Subjects.approvalRequest,
  Subjects.approvalGet,
  Subjects.budgetReserve,
  Subjects.budgetSettle,
  Subjects.logCreate,
  Subjects.runnerWake,
  Subjects.taskAbort,
  Subjects.policyChanged,
];
const PUBLISHING = new Set(['publish', 'signal', 'request', 'enqueueEvent']);
// Lower case: the Bus's methods; capitalised: the decorators the service kit subscribes at boot.
const SUBSCRIBING = new Set(['respond', 'Respond', 'listen']);
const CONSUMING = new Set(['consume', 'Consume']);

function sourcesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourcesOf(p) : p.endsWith('.ts') && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

/**
 * The subjects a service's code publishes (publish, signal, request, the outbox) and subscribes to
 * (respond, listen), read from its source and the libraries it uses. JetStream consumers need no
 * subject permission (they pull through the JetStream API) but dead-letter what they cannot use.
 */
function subjectsUsedBy(app: string): { publish: string[]; subscribe: string[] } {
  const files = sourcesOf(join(root, 'apps', app, 'src'));
  // The libraries that speak to NATS on a service's behalf count as its code.
  for (const lib of ['llm', 'policy', 'worker']) {
    if (files.some((f) => readFileSync(f, 'utf8').includes(`from '@juggernaut/${lib}'`)))
      files.push(...sourcesOf(join(root, 'libs', lib, 'src')));
  }
  const publish = new Set<string>();
  const subscribe = new Set<string>();
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if (
        ts.isPropertyAccessExpression(n) &&
        ts.isIdentifier(n.expression) &&
        n.expression.text === 'Subjects' &&
        SUBJECT_NAMES[n.name.text]
      ) {
        const subject = SUBJECT_NAMES[n.name.text]!;
        let at: ts.Node = n;
        while (ts.isConditionalExpression(at.parent) || ts.isParenthesizedExpression(at.parent)) at = at.parent;
        const parent = at.parent;
        if (ts.isCallExpression(parent) && parent.arguments.includes(at as ts.Expression)) {
          const callee = parent.expression;
          const name = ts.isPropertyAccessExpression(callee)
            ? callee.name.text
            : ts.isIdentifier(callee)
              ? callee.text
              : '';
          if (PUBLISHING.has(name)) publish.add(subject);
          if (SUBSCRIBING.has(name)) subscribe.add(subject);
          if (CONSUMING.has(name)) publish.add(Subjects.deadLetter);
        } else if (ts.isPropertyAssignment(parent) && parent.name.getText() === 'subject') {
          publish.add(subject); // an outbox row
        } else if (ts.isVariableDeclaration(parent) && parent.name.getText() === 'subject') {
          publish.add(subject); // the subject of an outbox row, chosen before it is written
        } else if (
          ts.isPropertyAssignment(parent) &&
          ts.isObjectLiteralExpression(parent.parent) &&
          ts.isVariableDeclaration(parent.parent.parent) &&
          /StreamSubject/.test(parent.parent.parent.type?.getText() ?? '')
        ) {
          publish.add(subject); // a table of outbound subjects (the outbox rows written in SQL)
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  // governance-api's gateway requests every operation declared with a REST route (libs/contracts).
  if (files.some((f) => f.endsWith(join('gateway', 'gateway.ts'))))
    for (const op of Object.values(Operations)) if ('rest' in op) publish.add(op.subject);
  return { publish: [...publish].sort(), subscribe: [...subscribe].sort() };
}

const STREAM_NAMES = Object.values(Streams).map((d) => d.name);
const streamOf = (subject: string) =>
  Object.values(Streams).find((d) => (d.subjects as readonly string[]).includes(subject))!.name;

/** The durable consumers a service's code runs: `bus.consume(Subjects.X, { durable: '…' })` or `@Consume(Subjects.X, { durable: '…' })`, with the stream that holds X. */
function durablesOf(app: string): Array<{ stream: string; durable: string }> {
  const out: Array<{ stream: string; durable: string }> = [];
  for (const file of sourcesOf(join(root, 'apps', app, 'src'))) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      const callee = ts.isCallExpression(n)
        ? ts.isPropertyAccessExpression(n.expression)
          ? n.expression.name.text
          : ts.isIdentifier(n.expression)
            ? n.expression.text
            : ''
        : '';
      if (ts.isCallExpression(n) && CONSUMING.has(callee) && n.arguments.length >= 2) {
        const [subject, given] = n.arguments;
        // @Consume may take its options as a function of the instance: read the object it returns.
        let options: ts.Expression | undefined = given;
        while (options && ts.isArrowFunction(options))
          options = ts.isExpression(options.body) ? options.body : undefined;
        while (options && ts.isParenthesizedExpression(options)) options = options.expression;
        if (
          subject &&
          options &&
          ts.isPropertyAccessExpression(subject) &&
          subject.expression.getText() === 'Subjects' &&
          ts.isObjectLiteralExpression(options)
        ) {
          const durable = options.properties.find(
            (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === 'durable',
          );
          if (!durable || !ts.isStringLiteral(durable.initializer))
            throw new Error(`${file}: a consume call whose durable name is not a string literal`);
          out.push({ stream: streamOf(SUBJECT_NAMES[subject.name.text]!), durable: durable.initializer.text });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/** What a service does with the streams at boot (its service definition's natsStreams; `create` by default). */
function streamModeOf(app: string): 'create' | 'administer' | 'none' {
  const m = /natsStreams:\s*'(create|administer|none)'/.exec(
    readFileSync(join(root, 'apps', app, 'src', 'service.ts'), 'utf8'),
  );
  return (m?.[1] as 'create' | 'administer' | 'none' | undefined) ?? 'create';
}

/** The JetStream API subjects a service needs, and nothing more. */
function jetStreamApiOf(app: string): string[] {
  const mode = streamModeOf(app);
  const api = ['$JS.API.INFO'];
  if (mode !== 'none')
    api.push(
      ...STREAM_NAMES.map((s) => `$JS.API.STREAM.INFO.${s}`),
      ...STREAM_NAMES.map((s) => `$JS.API.STREAM.CREATE.${s}`),
    );
  if (mode === 'administer') api.push(...STREAM_NAMES.map((s) => `$JS.API.STREAM.UPDATE.${s}`));
  for (const { stream, durable } of durablesOf(app)) {
    api.push(
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
      `$JS.API.CONSUMER.INFO.${stream}.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
    );
  }
  return api.sort();
}

describe('NATS permissions (deploy/nats/nats-server.conf)', () => {
  it('gives every contract subject a publisher, and every request and signal a listener', () => {
    const perms = permissionsOf(readFileSync(CONFIG, 'utf8'));
    expect(Object.keys(perms).sort()).toEqual([...USERS].sort());
    const published = new Set(Object.values(perms).flatMap((p) => p.publish));
    const subscribed = new Set(Object.values(perms).flatMap((p) => p.subscribe));
    const streamed = new Set<string>(Object.values(Streams).flatMap((d) => d.subjects));
    // budget.usage is answered for operators' tools; no service asks it, so no service user may.
    expect(Object.values(Subjects).filter((s) => !published.has(s))).toEqual([Subjects.budgetUsage]);
    const answered = [...Object.keys(PayloadClasses), ...Object.values(Subjects)].filter(
      (s) => !streamed.has(s) || s === Subjects.policyChanged,
    );
    expect([...new Set(answered)].filter((s) => !subscribed.has(s))).toEqual([]);
    expect(perms.external).toEqual({
      publish: [
        Subjects.revenueRecorded,
        Subjects.costRecorded,
        Subjects.experimentExposure,
        Subjects.experimentConversion,
      ],
      subscribe: ['_INBOX.external.>'],
    });
  });

  it("allows each service's user exactly the JetStream API its code uses: its own durable consumers by name, stream changes only to the administrator", () => {
    const perms = permissionsOf(readFileSync(CONFIG, 'utf8'));
    for (const app of SERVICES) {
      const js = perms[app]!.publish.filter((s) => s.startsWith('$JS.'));
      expect([app, js.sort()]).toEqual([app, jetStreamApiOf(app)]);
    }
    // what that means, said plainly
    const all = SERVICES.flatMap((app) =>
      perms[app]!.publish.filter((s) => s.startsWith('$JS.')).map((s) => `${app} ${s}`),
    );
    expect(all.filter((s) => /\.(PURGE|DELETE)\.|MSG\.DELETE|\$JS\.API\.STREAM\.(PURGE|DELETE)/.test(s))).toEqual([]);
    expect(all.filter((s) => /STREAM\.UPDATE/.test(s)).map((s) => s.split(' ')[0])).toEqual([
      'governance-api',
      'governance-api',
      'governance-api',
    ]);
    expect(all.filter((s) => /[*>]/.test(s.replace(/\.>$/, '')))).toEqual([]);
    expect(perms['agent-runner']!.publish.filter((s) => s.startsWith('$JS.'))).toEqual(['$JS.API.INFO']);
    expect(perms.external!.publish.filter((s) => s.startsWith('$JS.'))).toEqual([]);
    // the operator's tools read the dead letters through consumers of their own and change no stream
    const operator = perms.operator!.publish.filter((s) => s.startsWith('$JS.'));
    expect(
      operator.filter((s) => s.startsWith('$JS.API.CONSUMER.')).every((s) => s.includes('.JUGGERNAUT_DEADLETTER.')),
    ).toBe(true);
    expect(operator.filter((s) => /STREAM\.(CREATE|UPDATE|PURGE|DELETE)/.test(s))).toEqual([]);
    // the scan sees the code: consumers found in every service that has them
    expect(durablesOf('revenue-ledger')).toEqual(
      expect.arrayContaining([{ stream: 'JUGGERNAUT_INBOUND', durable: 'revenue-ledger-revenue' }]),
    );
    expect(durablesOf('governance-api').length).toBeGreaterThanOrEqual(8);
    expect(durablesOf('agent-runner')).toEqual([]);
    expect(streamModeOf('governance-api')).toBe('administer');
    expect(streamModeOf('agent-runner')).toBe('none');
  });

  it("allows each service's user exactly the subjects its code publishes, requests, answers or listens to", () => {
    const perms = permissionsOf(readFileSync(CONFIG, 'utf8'));
    const missing: string[] = [];
    for (const app of SERVICES) {
      const used = subjectsUsedBy(app);
      for (const s of used.publish) if (!perms[app]!.publish.includes(s)) missing.push(`${app} publishes ${s}`);
      for (const s of used.subscribe) if (!perms[app]!.subscribe.includes(s)) missing.push(`${app} subscribes ${s}`);
    }
    expect(missing).toEqual([]);
    // and nothing more: a contract subject a service's code does not use is not allowed to its user,
    // except what dev-bot's change pipeline (claiming dev.change tasks, spending, announcing changes)
    // speaks by the contract while it is being built
    const unused: string[] = [];
    for (const app of SERVICES) {
      const used = subjectsUsedBy(app);
      const contract = (s: string) => s.startsWith('juggernaut.');
      const ahead = app === 'dev-bot' ? DEVBOT_PIPELINE : [];
      for (const s of perms[app]!.publish.filter(contract))
        if (!used.publish.includes(s) && !ahead.includes(s)) unused.push(`${app} may publish ${s}`);
      for (const s of perms[app]!.subscribe.filter(contract))
        if (!used.subscribe.includes(s) && !ahead.includes(s)) unused.push(`${app} may subscribe ${s}`);
    }
    expect(unused).toEqual([]);
    // the scan sees the code: a service that answers nothing and publishes nothing would make this vacuous
    expect(subjectsUsedBy('revenue-ledger').subscribe).toContain(Subjects.ledgerTransactionPost);
    expect(subjectsUsedBy('agent-runner').publish).toEqual(
      expect.arrayContaining([Subjects.costRecorded, Subjects.taskClaim, Subjects.workerHeartbeat]),
    );
    expect(subjectsUsedBy('governance-api').publish).toEqual(
      expect.arrayContaining([Subjects.policyChanged, Subjects.deadLetter]),
    );
  });
});
