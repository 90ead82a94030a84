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
