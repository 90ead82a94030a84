import type { Metrics } from '@juggernaut/observability';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthChecks } from './health-checks';

/**
 * The operations listener of a service, apart from its API: `GET /health/live`, `GET /health/ready`
 * (200 only while Postgres and NATS answer) and `GET /metrics` (Prometheus text), and nothing else.
 * It listens on METRICS_PORT at METRICS_HOST (loopback unless a deployment opens it to its scraper and
 * probes), so the figures it serves (revenue and cost by source among them) are never on the port
 * the API is published on. A plain Node server: no framework headers, no other routes.
 */
export class OpsServer {
  private constructor(private readonly server: Server) {}

  static async listen(port: number, host: string, health: HealthChecks, metrics: Metrics): Promise<OpsServer> {
    const server = createServer((req, res) => {
      handle(req, res, health, metrics).catch(() => {
        if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ message: 'internal error' }));
        else res.end();
      });
    });
    // Scrapes and probes are short; an idle or slow client is cut rather than kept.
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new OpsServer(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  health: HealthChecks,
  metrics: Metrics,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const route = path === '/health/live' || path === '/health/ready' || path === '/metrics' ? path : undefined;
  if (!route) return send(res, 404, 'application/json', JSON.stringify({ message: 'not found' }));
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'application/json', JSON.stringify({ message: 'method not allowed' }));
  }
  if (route === '/health/live') return send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
  if (route === '/health/ready') {
    const checks = await health.run();
    const ok = Object.values(checks).every((c) => c.ok);
    return send(
      res,
      ok ? 200 : 503,
      'application/json',
      JSON.stringify({ status: ok ? 'ready' : 'not ready', checks }),
    );
  }
  return send(res, 200, metrics.registry.contentType, await metrics.render());
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
