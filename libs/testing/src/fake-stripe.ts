import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The slice of Stripe's REST API that reconciliation reads, on 127.0.0.1 for tests: `GET
 * /v1/balance_transactions` with `created[gte]`, `created[lt]`, `limit`, `starting_after` and
 * `expand[]=data.source`, newest first, paginated as Stripe does (`has_more`), behind the secret key
 * as a bearer token, with Stripe's error bodies. A test puts the balance transactions in (`add`) and
 * can read every request made. Used through the real `stripe` SDK (its host, port and protocol set).
 */
export interface FakeStripeBalanceTransaction {
  id: string;
  type: string;
  amount: number;
  fee: number;
  currency: string;
  created: number;
  /** The object that moved the money, as `expand[]=data.source` returns it (`{ id, object, payment_intent? }`). */
  source: { id: string; object: string; [k: string]: unknown } | null;
}

export class FakeStripe {
  readonly requests: Array<{
    method: string;
    path: string;
    query: URLSearchParams;
    headers: IncomingMessage['headers'];
  }> = [];
  private readonly transactions: FakeStripeBalanceTransaction[] = [];
  private server?: Server;

  constructor(
    /** The only API key accepted. */
    readonly apiKey: string,
  ) {}

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('fake Stripe is not listening');
    return `http://127.0.0.1:${a.port}`;
  }

  add(...bts: FakeStripeBalanceTransaction[]): void {
    this.transactions.push(...bts);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        this.requests.push({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
        });
        const [status, body] = this.handle(req, url);
        res.writeHead(status, {
          'content-type': 'application/json',
          'request-id': `req_${this.requests.length}`,
          'stripe-version': '2024-06-20',
        });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private handle(req: IncomingMessage, url: URL): [number, unknown] {
    const error = (status: number, type: string, message: string) =>
      [status, { error: { type, message } }] as [number, unknown];
    if (req.headers['authorization'] !== `Bearer ${this.apiKey}`)
      return error(401, 'invalid_request_error', 'Invalid API Key provided');
    if (req.method !== 'GET' || url.pathname !== '/v1/balance_transactions')
      return error(404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname})`);
    const q = url.searchParams;
    const gte = q.get('created[gte]');
    const lt = q.get('created[lt]');
    const limit = Math.min(100, Math.max(1, Number(q.get('limit') ?? 10)));
    const expand = q.getAll('expand[]').concat(q.getAll('expand[0]'));
    let list = [...this.transactions]
      .filter((t) => (gte === null || t.created >= Number(gte)) && (lt === null || t.created < Number(lt)))
      .sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
    const after = q.get('starting_after');
    if (after) {
      const i = list.findIndex((t) => t.id === after);
      if (i < 0) return error(400, 'invalid_request_error', `No such balance transaction: '${after}'`);
      list = list.slice(i + 1);
    }
    const page = list.slice(0, limit);
    return [
      200,
      {
        object: 'list',
        url: '/v1/balance_transactions',
        has_more: list.length > limit,
        data: page.map((t) => ({
          object: 'balance_transaction',
          ...t,
          net: t.amount - t.fee,
          currency: t.currency.toLowerCase(),
          status: 'available',
          reporting_category: t.type,
          available_on: t.created,
          fee_details: [],
          source: expand.includes('data.source') ? t.source : (t.source?.id ?? null),
        })),
      },
    ];
  }
}
