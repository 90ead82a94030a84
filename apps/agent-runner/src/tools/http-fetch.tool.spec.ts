import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchGuarded } from './http-fetch.tool';

describe('http_fetch against a real local HTTP server', () => {
  let server: Server;
  let host: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/big') return res.end('x'.repeat(10_000));
      if (req.url === '/to-metadata') return res.writeHead(302, { location: 'http://169.254.169.254/latest/' }).end();
      if (req.url === '/to-self') return res.writeHead(301, { location: '/page' }).end();
      if (req.url === '/slow') return setTimeout(() => res.end('late'), 2_000);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${req.url} via ${req.method}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  );

  const limits = () => ({ allowHosts: [host], maxBytes: 1_000, timeoutMs: 500 });
  const signal = () => new AbortController().signal;

  it('refuses the loopback server unless its host:port is allow-listed', async () => {
    await expect(fetchGuarded(`http://${host}/page`, { ...limits(), allowHosts: [] }, signal())).rejects.toThrow(
      /refused: 127\.0\.0\.1/,
    );
    await expect(fetchGuarded(`http://${host}/page`, limits(), signal())).resolves.toMatchObject({
      status: 200,
      body: 'hello from /page via GET',
      truncated: false,
    });
  });

  it('checks every redirect hop: a redirect to a link-local address is refused', async () => {
    await expect(fetchGuarded(`http://${host}/to-metadata`, limits(), signal())).rejects.toThrow(
      /refused: 169\.254\.169\.254/,
    );
    await expect(fetchGuarded(`http://${host}/to-self`, limits(), signal())).resolves.toMatchObject({
      url: `http://${host}/page`,
      status: 200,
    });
  });

  it('cuts the body at the size limit and the fetch at the time limit', async () => {
    const big = await fetchGuarded(`http://${host}/big`, limits(), signal());
    expect(big).toMatchObject({ truncated: true });
    expect(big.body).toHaveLength(1_000);
    await expect(fetchGuarded(`http://${host}/slow`, limits(), signal())).rejects.toThrow(/timed out after 500 ms/);
  });

  it('stops at once when the task is aborted', async () => {
    const c = new AbortController();
    const p = fetchGuarded(`http://${host}/slow`, { ...limits(), timeoutMs: 10_000 }, c.signal);
    c.abort(new Error('kill switch engaged'));
    await expect(p).rejects.toThrow('kill switch engaged');
  });
});
