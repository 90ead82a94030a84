// The services of the local stack, their ports, and how to reach the local infrastructure.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const stateDir = join(root, '.juggernaut');

/** Services in start order; `schema` marks those that own Postgres data. */
export const SERVICES = [
  { name: 'governance-api', port: 3000, schema: 'governance' },
  { name: 'task-dispatcher', port: 3001, schema: 'dispatch' },
  { name: 'revenue-ledger', port: 3002, schema: 'ledger' },
  { name: 'experiment-tracker', port: 3003, schema: 'experiments' },
  { name: 'dev-bot', port: 3004, schema: 'devbot' },
  { name: 'agent-runner', port: 3100, schema: null },
];

export const EMBEDDED_PG_PORT = Number(process.env.JUGGERNAUT_PG_PORT ?? 54329);
export const EMBEDDED_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PG_PORT}/juggernaut`;
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export function mainOf(service) {
  return join(root, 'dist', 'apps', service, 'main.js');
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
