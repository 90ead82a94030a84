import { apiClient, TestStack } from '@juggernaut/testing';
import { governanceApi } from '../src/service';

const ADMIN_KEY = 'test-admin-key-routes-0123456789ab';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  responses: Record<string, { description?: string }>;
  security?: unknown[];
  /** Set on the routes a signature authenticates instead of an API key (payment webhooks). */
  'x-juggernaut-public'?: string;
}

/** The only operations reachable without an API key: each authenticated by a signature over its raw body instead. */
const SIGNED_PUBLIC = ['POST /api/v1/webhooks/stripe', 'POST /api/v1/webhooks/{source}'];

/** The only writes a viewer may make: starting and continuing its own conversations (a question changes nothing but what it costs). */
const VIEWER_WRITES = ['POST /api/v1/conversations', 'POST /api/v1/conversations/{id}/messages'];

/** Fills path parameters with values of the right shape, so the route is found and only auth decides. */
function concrete(path: string): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    /id$/i.test(name) ? '7d1f0c9e-5a57-4c39-9c3e-0a6cf0c5a001' : /version/i.test(name) ? '1' : 'some-name',
  );
}

/**
 * Walks every operation of the OpenAPI document: none is reachable without a valid key, a viewer
 * can write through none, and each one declares the roles it allows.
 */
describe('every route in the OpenAPI document', () => {
  let stack: TestStack;
  let url: string;
  let viewerKey: string;
  let operations: Operation[];
  let publicOperations: Operation[];

  beforeAll(async () => {
    stack = await TestStack.create('routes');
    // the walk makes hundreds of calls without a valid key from one address: lift that limit too
    url = (
      await stack.start(governanceApi, {
        JUGGERNAUT_ADMIN_KEY: ADMIN_KEY,
        JUGGERNAUT_RATE_LIMIT_BURST: '100000',
        JUGGERNAUT_RATE_LIMIT_UNAUTH_BURST: '100000',
      })
    ).url;
    viewerKey = (await apiClient(url, ADMIN_KEY).post('/api/v1/api-keys', { name: 'walker', role: 'viewer' })).body.key;
    const doc = (await apiClient(url).get('/docs-json')).body as {
      paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
    };
    const all: Operation[] = Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({ method, path, ...item[method]! })),
    );
    publicOperations = all.filter((o) => o['x-juggernaut-public']);
    operations = all.filter((o) => !o['x-juggernaut-public']);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('covers the API (the walk would prove nothing over an empty document)', () => {
    const paths = new Set(operations.map((o) => o.path));
    for (const p of [
      '/api/v1/api-keys',
      '/api/v1/policies',
      '/api/v1/approvals',
      '/api/v1/audit',
      '/api/v1/tasks',
      '/api/v1/logs',
    ]) {
      expect(paths).toContain(p);
    }
    expect(operations.length).toBeGreaterThan(25);
  });

  it('has no public operation but the signed payment webhooks, which refuse an unsigned call whatever key it carries', async () => {
    expect(publicOperations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(
      [...SIGNED_PUBLIC].sort(),
    );
    for (const op of publicOperations) {
      for (const auth of [undefined, `Bearer ${ADMIN_KEY}`]) {
        const r = await apiClient(url).call('POST', concrete(op.path), {}, auth ? { authorization: auth } : {});
        // 404: no such source or no Stripe secret configured; 400: a source exists but the call is unsigned
        expect([400, 404]).toContain(r.status);
      }
    }
  });

  it('answers 401 to every operation called without a key, with an empty token or with an unknown key', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      for (const auth of [
        undefined,
        'Bearer ',
        'Bearer not-a-key-but-long-enough-xxxxxxxx',
        'Basic YWRtaW46YWRtaW4=',
      ]) {
        const r = await apiClient(url).call(
          op.method.toUpperCase(),
          concrete(op.path),
          op.method === 'get' || op.method === 'delete' ? undefined : {},
          auth ? { authorization: auth } : {},
        );
        if (r.status !== 401)
          failures.push(`${op.method.toUpperCase()} ${op.path} with ${auth ?? 'no header'}: ${r.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to a viewer on every operation that is not a read, but conversing', async () => {
    const failures: string[] = [];
    for (const op of operations.filter(
      (o) => o.method !== 'get' && !VIEWER_WRITES.includes(`${o.method.toUpperCase()} ${o.path}`),
    )) {
      const r = await apiClient(url, viewerKey).call(
        op.method.toUpperCase(),
        concrete(op.path),
        op.method === 'delete' ? undefined : {},
      );
      if (r.status !== 403) failures.push(`${op.method.toUpperCase()} ${op.path}: ${r.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('lets a viewer converse: start a conversation and ask in it (refused there only for what it sent)', async () => {
    const viewer = apiClient(url, viewerKey);
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`)).toEqual(expect.arrayContaining(VIEWER_WRITES));
    const started = await viewer.post('/api/v1/conversations', {});
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ createdBy: 'walker', role: 'viewer', messages: 0 });
    expect((await viewer.post(`/api/v1/conversations/${started.body.id}/messages`, {})).status).toBe(400);
    expect((await viewer.post(`/api/v1/conversations/${concrete('{id}')}/messages`, { content: 'hello' })).status).toBe(
      404,
    );
  });

  it('documents for every operation the bearer key it needs and the roles it allows', () => {
    const undeclared = operations.filter(
      (o) => !o.security?.length || !/^Allowed roles: /.test(o.responses['403']?.description ?? ''),
    );
    expect(undeclared.map((o) => `${o.method.toUpperCase()} ${o.path}`)).toEqual([]);
  });
});
