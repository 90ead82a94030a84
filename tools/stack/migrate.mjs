#!/usr/bin/env node
// `npm run migrate [-- service …]`: applies every service's pending migrations (or the named ones').
// Uses DATABASE_URL, or the local stack's embedded Postgres (which must be running).
import { spawnSync } from 'node:child_process';
import { EMBEDDED_DATABASE_URL, mainOf, migrateEnv, root, SERVICES } from './services.mjs';

const wanted = process.argv.slice(2);
const targets = SERVICES.filter((s) => s.schema && (wanted.length === 0 || wanted.includes(s.name)));
if (wanted.length && targets.length !== wanted.length) {
  console.error(
    `unknown service; choose from ${SERVICES.filter((s) => s.schema)
      .map((s) => s.name)
      .join(', ')}`,
  );
  process.exit(2);
}
const adminUrl = process.env.DATABASE_URL || EMBEDDED_DATABASE_URL;
let failed = 0;
for (const svc of targets) {
  const r = spawnSync(process.execPath, [mainOf(svc.name), 'migrate'], {
    cwd: root,
    env: migrateEnv(process.env, adminUrl, svc),
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
