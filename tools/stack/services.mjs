// The services of the local stack, their ports, and how to reach the local infrastructure.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the local stack keeps its data and generated secrets (JUGGERNAUT_STATE_DIR moves it, e.g. for a test). */
export const stateDir = process.env.JUGGERNAUT_STATE_DIR
  ? resolve(process.env.JUGGERNAUT_STATE_DIR)
  : join(root, '.juggernaut');

/**
 * Services in start order; `schema` marks those that own Postgres data. Each serves health and
 * metrics on its own port, JUGGERNAUT_METRICS_PORT_BASE (9400) + `metrics` (runner n: + 10 + n); only
 * governance-api has an API (HTTP_PORT, 3000).
 */
export const SERVICES = [
  { name: 'governance-api', metrics: 0, schema: 'governance' },
  { name: 'task-dispatcher', metrics: 1, schema: 'dispatch' },
  { name: 'revenue-ledger', metrics: 2, schema: 'ledger' },
  { name: 'experiment-tracker', metrics: 3, schema: 'experiments' },
  { name: 'dev-bot', metrics: 4, schema: 'devbot' },
  { name: 'agent-runner', metrics: 10, schema: null },
];
export const API_PORT = Number(process.env.HTTP_PORT || 3000);
export const METRICS_PORT_BASE = Number(process.env.JUGGERNAUT_METRICS_PORT_BASE || 9400);

export const EMBEDDED_PG_PORT = Number(process.env.JUGGERNAUT_PG_PORT ?? 54329);
export const EMBEDDED_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PG_PORT}/juggernaut`;
/**
 * The port of the nats-server `npm start` runs when NATS_URL is unset: not 4222, so it never meets a
 * nats-server that Debian's package starts there (without users or JetStream).
 */
export const LOCAL_NATS_PORT = Number(process.env.JUGGERNAUT_NATS_PORT || 4223);
export const DEFAULT_NATS_URL = `nats://127.0.0.1:${LOCAL_NATS_PORT}`;
export const NATS_CONFIG = join(root, 'deploy', 'nats', 'nats-server.conf');
/** The users of deploy/nats/nats-server.conf: one per service, one for other systems, one for operators' tools. */
export const NATS_USERS = [
  'governance-api',
  'task-dispatcher',
  'revenue-ledger',
  'experiment-tracker',
  'dev-bot',
  'agent-runner',
  'external',
  'operator',
];
/** The variable nats-server reads a user's password from (`$NATS_PASS_<USER>` in the configuration). */
export const natsPasswordVar = (user) => `NATS_PASS_${user.toUpperCase().replace(/-/g, '_')}`;

export function mainOf(service) {
  return join(root, 'dist', 'apps', service, 'main.js');
}

/** The Node.js options a service runs with (apps/service.node.env, copied beside main.js by the build), as node's argument. */
export function nodeOptionsOf(service) {
  return `--env-file=${join(root, 'dist', 'apps', service, 'service.node.env')}`;
}

/** True when something accepts TCP connections at host:port within the timeout. */
export function reachable(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** host and port of the first server of a NATS_URL. */
export function natsAddress(url) {
  const first = new URL(url.split(',')[0].trim());
  return { host: first.hostname, port: Number(first.port || 4222) };
}

/** The local stack's admin key: JUGGERNAUT_ADMIN_KEY, or one generated once and kept in .juggernaut/admin-key. */
export function localAdminKey() {
  if (process.env.JUGGERNAUT_ADMIN_KEY) return { key: process.env.JUGGERNAUT_ADMIN_KEY, file: null };
  const file = join(stateDir, 'admin-key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `jg_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  }
  return { key: readFileSync(file, 'utf8').trim(), file };
}

/**
 * The local stack's NATS passwords, one per user of deploy/nats/nats-server.conf: generated once into
 * .juggernaut/nats-users.json (mode 0600) like the admin key, and kept. Letters and digits starting
 * with a letter, as nats-server reads them from its environment as configuration values.
 */
export function localNatsUsers() {
  const file = join(stateDir, 'nats-users.json');
  const users = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  let changed = false;
  for (const user of NATS_USERS) {
    if (!users[user]) {
      users[user] = `p${randomBytes(24).toString('hex')}`;
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(users, null, 2)}\n`, { mode: 0o600 });
  }
  return { users, file };
}

/**
 * deploy/nats/nats-server.conf for the local server: JetStream data under `storeDir`, and, with a
 * NATS_NAMESPACE, subjects, streams and durable consumers prefixed as the file's header says (the
 * same three substitutions as its sed line).
 */
export function renderNatsConfig(text, storeDir, namespace) {
  let out = text.replace('store_dir: "/data/jetstream"', `store_dir: ${JSON.stringify(storeDir)}`);
  if (namespace) {
    out = out
      .replace(/"juggernaut\./g, `"${namespace}.juggernaut.`)
      .replace(/(JUGGERNAUT_[A-Z]+\.)([a-z])/g, `$1${namespace}_$2`)
      .replace(/\.JUGGERNAUT_/g, `.${namespace}_JUGGERNAUT_`);
  }
  return out;
}

/**
 * The connection string each service runs with: its runtime role `jg_<schema>` (DML on its own
 * schema, no DDL), with a password generated once into .juggernaut/db-roles.json. The admin URL is
 * used only by `migrate` (as DATABASE_ADMIN_URL): it creates that role and the schema's owner role
 * `jg_<schema>_owner` (NOLOGIN, so it has no password) and runs the migrations as the owner
 * (docs/adr/0001-schema-owner-and-runtime-roles.md). JUGGERNAUT_DB_ROLES=off uses the admin URL for
 * every service, for a Postgres where the configured user may not create roles.
 */
export function serviceDatabaseUrl(adminUrl, svc) {
  if (!svc.schema || process.env.JUGGERNAUT_DB_ROLES === 'off') return adminUrl;
  const file = join(stateDir, 'db-roles.json');
  const passwords = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const role = `jg_${svc.schema}`;
  if (!passwords[role]) {
    passwords[role] = randomBytes(24).toString('base64url');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
  }
  const url = new URL(adminUrl);
  url.username = role;
  url.password = passwords[role];
  return url.toString();
}

/** The environment `migrate` needs for one service: its runtime URL, plus the admin URL to provision both roles and act as the owner. */
export function migrateEnv(baseEnv, adminUrl, svc) {
  const own = serviceDatabaseUrl(adminUrl, svc);
  return { ...baseEnv, DATABASE_URL: own, ...(own !== adminUrl ? { DATABASE_ADMIN_URL: adminUrl } : {}) };
}
