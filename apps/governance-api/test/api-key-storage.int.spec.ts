import { apiClient, TestStack } from '@juggernaut/testing';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { governanceApi } from '../src/service';

const ADMIN_KEY = 'test-admin-key-storage-0123456789';

/** What the database holds of an API key: its SHA-256 and a short prefix, never the key. */
describe('API key storage', () => {
  let stack: TestStack;
  let url: string;
  let pg: Client;
  const admin = () => apiClient(url, ADMIN_KEY);
  const table = async () => JSON.stringify((await pg.query('SELECT * FROM governance.api_keys')).rows);

  beforeAll(async () => {
    stack = await TestStack.create('keystore');
    url = (await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN_KEY })).url;
    pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await stack?.close();
  });

  it('shows a new key once, 256 random bits, and stores only its SHA-256 and a 7-character prefix', async () => {
    const created = await admin().post('/api/v1/api-keys', { name: 'stored', role: 'viewer' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^jg_[A-Za-z0-9_-]{43}$/);
    const { rows } = await pg.query('SELECT key_hash, key_prefix FROM governance.api_keys WHERE id = $1', [
      created.body.id,
    ]);
    expect(rows[0].key_hash.equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(rows[0].key_prefix).toBe(`${key.slice(0, 7)}…`);
    const everything = await table();
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(key.slice(7));
    expect(everything).not.toContain(ADMIN_KEY);
    // the table does hold what it should: a check that could never see the key would prove nothing
    expect(everything).toContain(key.slice(0, 7));

    const listed = await admin().get('/api/v1/api-keys');
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect(listed.body.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({
      prefix: `${key.slice(0, 7)}…`,
    });
    expect(listed.body.every((k: Record<string, unknown>) => !('key' in k) && !('keyHash' in k))).toBe(true);
  });

  it('accepts the exact key only: one character changed, a prefix, the hash itself or an empty token is refused', async () => {
    const key = (await admin().post('/api/v1/api-keys', { name: 'exact', role: 'viewer' })).body.key as string;
    expect((await apiClient(url, key).get('/api/v1/policies')).status).toBe(200);
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    const hashHex = createHash('sha256').update(key).digest('hex');
    for (const wrong of [
      flipped,
      key.slice(0, -1),
      `${key}x`,
      key.toUpperCase(),
      hashHex,
      key.slice(0, 7),
      key.slice(0, 20),
    ]) {
      expect({ wrong, status: (await apiClient(url, wrong).get('/api/v1/policies')).status }).toEqual({
        wrong,
        status: 401,
      });
    }
    const empty = await fetch(`${url}/api/v1/policies`, { headers: { authorization: 'Bearer ' } });
    expect(empty.status).toBe(401);
  });

  it('keeps a revoked bootstrap admin key revoked when the service restarts with it still configured', async () => {
    const second = (await admin().post('/api/v1/api-keys', { name: 'second-admin', role: 'admin' })).body.key as string;
    const keys = (await apiClient(url, second).get('/api/v1/api-keys')).body as Array<{ id: string; name: string }>;
    const bootstrap = keys.find((k) => k.name === 'bootstrap-admin')!;
    expect((await apiClient(url, second).delete(`/api/v1/api-keys/${bootstrap.id}`)).status).toBe(200);
    expect((await admin().get('/api/v1/policies')).status).toBe(401);
    const restarted = await stack.start(governanceApi, { JUGGERNAUT_ADMIN_KEY: ADMIN_KEY });
    expect((await apiClient(restarted.url, ADMIN_KEY).get('/api/v1/policies')).status).toBe(401);
    expect((await apiClient(restarted.url, second).get('/api/v1/policies')).status).toBe(200);
  });
});
