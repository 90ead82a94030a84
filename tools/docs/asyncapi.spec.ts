import { Parser } from '@asyncapi/parser';
import { Operations, replyClass, Subjects } from '@juggernaut/contracts';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildAsyncApi, renderAsyncApi } from './asyncapi';

/**
 * docs/asyncapi.yaml is the AsyncAPI document generated from libs/contracts, and the AsyncAPI
 * parser accepts it. UPDATE_DOCS=1 (npm run docs:asyncapi) rewrites it instead of failing.
 */
const file = join(__dirname, '..', '..', 'docs', 'asyncapi.yaml');
const generated = renderAsyncApi();
if (process.env['UPDATE_DOCS']) writeFileSync(file, generated);

describe('docs/asyncapi.yaml', () => {
  const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const addresses = (text: string) =>
    new Set(
      Object.values((parse(text)?.channels ?? {}) as Record<string, { address: string | null }>)
        .map((c) => c.address)
        .filter((a) => a !== null),
    );

  it('has a channel for every subject in libs/contracts, and none that is not there', () => {
    const documented = addresses(committed);
    const missing = Object.values(Subjects)
      .filter((s) => !documented.has(s))
      .map((s) => `${s} is not in docs/asyncapi.yaml (run npm run docs:asyncapi)`);
    const extra = [...documented]
      .filter((s) => !(Object.values(Subjects) as string[]).includes(s))
      .map((s) => `${s} is documented but not in Subjects`);
    expect([...missing, ...extra]).toEqual([]);
  });

  /** What the document lacks of each declared operation: its request channel, its reply, the reply's class. */
  const operationGaps = (doc: Record<string, unknown>) => {
    const channels = doc['channels'] as Record<string, { address: string | null; messages: Record<string, unknown> }>;
    const operations = doc['operations'] as Record<string, { reply?: { channel: { $ref: string } } }>;
    const messages = (doc['components'] as { messages: Record<string, { payload: unknown }> }).messages;
    return Object.entries(Operations).flatMap(([name, op]) => {
      const id = Object.keys(channels).find((k) => channels[k]!.address === op.subject);
      if (!id) return [`${name}: no channel for ${op.subject}`];
      const receive = operations[`receive${id[0]!.toUpperCase()}${id.slice(1)}`];
      if (!receive?.reply) return [`${name}: no request/reply operation`];
      const reply = JSON.stringify(messages[`${id}Reply`]?.payload ?? null);
      const cls = replyClass(op.reply);
      const replyName = cls && (typeof cls === 'function' ? cls.name : cls[0].name);
      return replyName && !new RegExp(`[/"]${replyName}"`).test(reply)
        ? [`${name}: its reply is not described as ${replyName}`]
        : [];
    });
  };

  it('describes every declared operation: its request, its reply channel and the reply class', () => {
    expect(operationGaps(parse(committed) as Record<string, unknown>)).toEqual([]);
  });

  it('reports an operation the document lacks (the coverage check is not a rubber stamp)', () => {
    const doc = buildAsyncApi() as { channels: Record<string, unknown> };
    delete doc.channels['ledgerSummaryGetV1'];
    expect(operationGaps(doc)).toEqual(['ledgerSummaryGet: no channel for juggernaut.ledger.summary.get.v1']);
  });

  it('is exactly what the contracts generate (payload schemas included)', () => {
    expect(committed === generated ? 'current' : 'stale: run npm run docs:asyncapi').toBe('current');
  });

  it('is a valid AsyncAPI document for the AsyncAPI parser', async () => {
    const { document, diagnostics } = await new Parser().parse(generated);
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(
      document!
        .channels()
        .all()
        .filter((c) => c.address() !== null).length,
    ).toBe(Object.values(Subjects).length);
  });

  it('the parser rejects a broken document (it is not a rubber stamp)', async () => {
    const broken = generated.replace('action: receive', 'action: listen');
    const { diagnostics } = await new Parser().parse(broken);
    expect(diagnostics.some((d) => d.severity === 0)).toBe(true);
  });
});
