import { apiClient, TestStack } from '@juggernaut/testing';
import { networkInterfaces } from 'node:os';
import { governanceApi } from '../src/service';

const ADMIN_KEY = 'ops-port-admin-key-0123456789abcdef';

/**
 * Health and metrics on their own listener (METRICS_PORT, loopback unless METRICS_HOST opens it),
 * never on the API's port: the metrics (revenue and cost totals by source among them) are not
 * reachable by whoever reaches the API, and no response names the framework behind it.
 */
describe('governance-api: the API port serves the API only; health and metrics have their own', () => {
  let stack: TestStack;
  let url: string;
  let metricsUrl: string;
  let metricsPort: number;

  beforeAll(async () => {
    stack = await TestStack.create('opsport');
    const svc = await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN_KEY });
    url = svc.url;
    metricsUrl = svc.metricsUrl;
    metricsPort = svc.metricsPort;
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('answers /metrics and /health/* on the metrics port, not on the API port', async () => {
    expect(metricsUrl).not.toBe(url);
    for (const path of ['/metrics', '/health/live', '/health/ready']) {
      expect([path, (await apiClient(url).get(path)).status]).toEqual([path, 404]);
      expect([path, (await apiClient(url, ADMIN_KEY).get(path)).status]).toEqual([path, 404]);
    }
    const ready = await apiClient(metricsUrl).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: { ok: true }, nats: { ok: true } });
    expect((await apiClient(metricsUrl).get('/health/live')).body).toEqual({ status: 'ok' });
    // A request to the API shows up in the API's latency histogram, scraped from the metrics port.
    expect((await apiClient(url).get('/api/v1/logs')).status).toBe(401);
    const metrics = await apiClient(metricsUrl).get<string>('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('juggernaut_process_cpu_user_seconds_total{service="governance-api"}');
    expect(metrics.body).toMatch(
      /juggernaut_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/logs"[^}]*status_code="401"/,
    );
  });

  it('serves nothing else on the metrics port: no API, no Swagger, no writes', async () => {
    expect((await apiClient(metricsUrl, ADMIN_KEY).get('/api/v1/logs')).status).toBe(404);
    expect((await apiClient(metricsUrl).get('/docs-json')).status).toBe(404);
    expect((await apiClient(metricsUrl).post('/metrics', {})).status).toBe(405);
  });

  it('keeps the OpenAPI document on the API port (it describes the API; it holds no data)', async () => {
    const doc = await apiClient(url).get('/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/logs');
    expect(JSON.stringify(doc.body)).not.toMatch(/"\/metrics"|health\/ready/);
  });

  it('sends no X-Powered-By header from either port', async () => {
    const responses = await Promise.all([
      fetch(`${url}/api/v1/logs`),
      fetch(`${url}/api/v1/logs`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }),
      fetch(`${url}/no-such-route`),
      fetch(`${url}/docs-json`),
      fetch(`${url}/docs`),
      fetch(`${metricsUrl}/metrics`),
      fetch(`${metricsUrl}/health/ready`),
      fetch(`${metricsUrl}/nothing`),
    ]);
    expect(responses.map((r) => r.status)).toEqual([401, 200, 404, 200, expect.any(Number), 200, 200, 404]);
    for (const r of responses) expect([r.url, r.headers.get('x-powered-by')]).toEqual([r.url, null]);
  });

  it('listens for health and metrics on loopback only unless METRICS_HOST says otherwise', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(external).toBeDefined();
    await expect(fetch(`http://${external}:${metricsPort}/metrics`)).rejects.toThrow();
    // the API itself is on every interface, as before
    expect((await fetch(`http://${external}:${new URL(url).port}/api/v1/logs`)).status).toBe(401);
  });
});
