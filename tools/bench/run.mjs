#!/usr/bin/env node
// `npm run bench [-- name ...]`: builds the services, then runs each benchmark script
// `tools/bench/<name>.bench.mjs` (all of them when none is named). Each prints JSON lines.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace('.bench.mjs', ''))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ') || 'none'}`);
  process.exit(2);
}
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--parallel=2', '--output-style=static'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env,
});
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const name of wanted.length ? wanted : available) {
  const r = spawnSync(process.execPath, [join(here, `${name}.bench.mjs`)], { stdio: 'inherit', env });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
