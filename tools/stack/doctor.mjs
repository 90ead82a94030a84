#!/usr/bin/env node
// `npm run doctor`: checks what Juggernaut needs and prints one line per check, with the fix for
// each failure. Exits non-zero when a required check fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { DEFAULT_NATS_URL, EMBEDDED_DATABASE_URL, mainOf, root, SERVICES, stateDir } from './services.mjs';

const tty = process.stdout.isTTY;
const mark = {
  ok: tty ? '\x1b[32m✔\x1b[0m' : 'ok  ',
  fail: tty ? '\x1b[31m✘\x1b[0m' : 'FAIL',
  warn: tty ? '\x1b[33m!\x1b[0m' : 'warn',
};
let failures = 0;
const line = (status, name, detail, fix) => {
  if (status === 'fail') failures++;
  console.log(`${mark[status]} ${name.padEnd(12)} ${detail}${fix ? `\n               fix: ${fix}` : ''}`);
};

const usingEmbedded = !process.env.DATABASE_URL;
const databaseUrl = process.env.DATABASE_URL || EMBEDDED_DATABASE_URL;
const natsUrl = process.env.NATS_URL || DEFAULT_NATS_URL;
/** NATS_USER/NATS_PASS if set; else, for the local stack's own nats-server, its `operator` user (.juggernaut/nats-users.json). */
function natsLogin() {
  if (process.env.NATS_USER)
    return {
      user: process.env.NATS_USER,
      pass: process.env.NATS_PASS ?? '',
      inboxPrefix: `_INBOX.${process.env.NATS_USER}`,
    };
  const file = join(stateDir, 'nats-users.json');
  if (!process.env.NATS_URL && existsSync(file)) {
    const pass = JSON.parse(readFileSync(file, 'utf8')).operator;
    if (pass) return { user: 'operator', pass, inboxPrefix: '_INBOX.operator' };
  }
  return {};
}

async function checkPostgres() {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query('SHOW server_version');
    line('ok', 'postgres', `reachable (${usingEmbedded ? 'embedded, ' : ''}server ${rows[0].server_version})`);
    return true;
  } catch (e) {
    const fix = usingEmbedded
      ? existsSync(join(stateDir, 'postgres'))
        ? 'the embedded Postgres runs while `npm start` runs: start the stack, or set DATABASE_URL'
        : 'run `npm start` once (it creates an embedded Postgres in .juggernaut/), or set DATABASE_URL=postgres://user:pass@host:5432/db'
      : 'check DATABASE_URL (host, port, user, password, database) and that the server accepts connections';
    line('fail', 'postgres', `not reachable: ${e.message}`, fix);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkNats() {
  let nc;
  try {
    nc = await connect({ servers: natsUrl.split(','), timeout: 3_000, ...natsLogin() });
    line('ok', 'nats', `reachable at ${natsUrl} (server ${nc.info?.version ?? '?'})`);
  } catch (e) {
    const fix = /authorization|authentication/i.test(e.message)
      ? "set NATS_USER and NATS_PASS to a user of that server (the local stack's are in .juggernaut/nats-users.json)"
      : 'install nats-server (Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server) and let `npm start` run it, or set NATS_URL';
    line('fail', 'nats', `not reachable at ${natsUrl}: ${e.message}`, fix);
    line('fail', 'jetstream', 'not checked: NATS is not reachable');
    return;
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: 3_000 });
    const info = await jsm.getAccountInfo();
    line('ok', 'jetstream', `enabled (${info.streams} streams, ${info.consumers} consumers)`);
  } catch (e) {
    line(
      'fail',
      'jetstream',
      `not available: ${e.message}`,
      'start nats-server with -js (JetStream) and a storage directory (-sd)',
    );
  } finally {
    await nc.close();
  }
}

function checkMigrations(pgOk) {
  if (!pgOk) {
    line('fail', 'migrations', 'not checked: Postgres is not reachable');
    return;
  }
  for (const svc of SERVICES.filter((s) => s.schema)) {
    if (!existsSync(mainOf(svc.name))) {
      line('fail', 'migrations', `${svc.name}: not built`, 'run `npm run build`');
      continue;
    }
    const r = spawnSync(process.execPath, [mainOf(svc.name), 'migrate', '--check'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, NATS_URL: natsUrl },
      encoding: 'utf8',
    });
    const out = (r.stdout || r.stderr).trim();
    if (r.status === 0) line('ok', 'migrations', out);
    else line('fail', 'migrations', out, 'run `npm run migrate` (or `npm start`, which migrates first)');
  }
}

async function checkModel() {
  const base = process.env.OPENAI_BASE_URL;
  const key = process.env.OPENAI_API_KEY;
  if (!base && !key) {
    line(
      'warn',
      'model',
      'no model configured: agent tasks wait blocked ("no model configured") until a runner with a model starts',
      'point at any OpenAI-compatible endpoint: OpenAI (OPENAI_API_KEY=sk-…), Ollama (OPENAI_BASE_URL=http://localhost:11434/v1), vLLM (OPENAI_BASE_URL=http://host:8000/v1) or LM Studio (OPENAI_BASE_URL=http://localhost:1234/v1); JUGGERNAUT_MODEL picks the model',
    );
    return;
  }
  const url = `${(base || 'https://api.openai.com/v1').replace(/\/$/, '')}/models`;
  try {
    const res = await fetch(url, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = await res.json().catch(() => ({}));
    const models = Array.isArray(body.data) ? body.data.map((m) => m.id) : [];
    const wanted = process.env.JUGGERNAUT_MODEL;
    if (wanted && models.length && !models.includes(wanted)) {
      line(
        'fail',
        'model',
        `${url} answers but has no model "${wanted}" (has: ${models.slice(0, 5).join(', ')})`,
        'set JUGGERNAUT_MODEL to one of the listed models',
      );
    } else {
      line('ok', 'model', `${url} answers${models.length ? ` (${models.length} models)` : ''}`);
    }
  } catch (e) {
    line(
      'fail',
      'model',
      `${url} did not answer: ${e.message}`,
      'check OPENAI_BASE_URL and OPENAI_API_KEY, and that the server is running',
    );
  }
}

// Models with a built-in price in libs/llm/src/pricing.ts (DEFAULT_PRICES); keep in step.
const BUILT_IN_PRICES = ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o'];

/** The agent runtime's settings: every model it may call has a price, and the scan sources parse. */
function checkAgentSettings() {
  let prices = {};
  try {
    prices = process.env.AGENT_PRICES ? JSON.parse(process.env.AGENT_PRICES) : {};
  } catch {
    line(
      'fail',
      'prices',
      'AGENT_PRICES is not JSON',
      'set AGENT_PRICES=\'{"<model>": {"prompt": <minor units per 1M tokens>, "completion": <…>}}\'',
    );
    return;
  }
  let byLevel = {};
  try {
    byLevel = process.env.AGENT_MODELS_BY_LEVEL ? JSON.parse(process.env.AGENT_MODELS_BY_LEVEL) : {};
  } catch {
    line(
      'fail',
      'models',
      'AGENT_MODELS_BY_LEVEL is not JSON',
      'set it like AGENT_MODELS_BY_LEVEL=\'{"5": "gpt-4.1"}\'',
    );
  }
  const models = [...new Set([process.env.JUGGERNAUT_MODEL || 'gpt-4o-mini', ...Object.values(byLevel)])];
  const unpriced = models.filter((m) => !BUILT_IN_PRICES.includes(m) && !prices[m]);
  if (unpriced.length) {
    line(
      'fail',
      'prices',
      `no price for ${unpriced.join(', ')}: agent tasks using it fail, since spend could not be metered`,
      `add it to AGENT_PRICES, e.g. AGENT_PRICES='{"${unpriced[0]}": {"prompt": 0, "completion": 0}}' for a free local model`,
    );
  } else {
    line('ok', 'prices', `every agent model has a price (${models.join(', ')})`);
  }
  if (process.env.AGENT_SCAN_SOURCES) {
    try {
      const sources = JSON.parse(process.env.AGENT_SCAN_SOURCES);
      if (!Array.isArray(sources)) throw new Error('not an array');
      line('ok', 'scan', `${sources.length} opportunity.scan source(s): ${sources.map((s) => s.name).join(', ')}`);
    } catch (e) {
      line(
        'fail',
        'scan',
        `AGENT_SCAN_SOURCES is not a JSON array (${e.message})`,
        'set it like AGENT_SCAN_SOURCES=\'[{"name": "hn", "url": "https://hnrss.org/newest", "kind": "rss"}]\'',
      );
    }
  }
}

const pgOk = await checkPostgres();
await checkNats();
checkMigrations(pgOk);
await checkModel();
checkAgentSettings();
process.exit(failures ? 1 : 0);
