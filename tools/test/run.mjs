#!/usr/bin/env node
// `npm test`: builds the services (tests that run them as processes use the build), then runs
// every Jest suite against the real Postgres and NATS. Extra arguments go to Jest. A run of the whole
// suite (no arguments) first checks types, lint, module layers and formatting (`npm run lint`).
import { spawnSync } from 'node:child_process';

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const whole = process.argv.length <= 2;
if (whole && !process.env.SKIP_LINT) {
  run('npm', ['run', 'typecheck']);
  run('npm', ['run', 'lint']);
}
if (!process.env.SKIP_BUILD) run('npx', ['nx', 'run-many', '-t', 'build', '--parallel=2', '--output-style=static']);
run('npx', ['jest', ...process.argv.slice(2)]);
