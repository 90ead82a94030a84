import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const AUTHOR = { name: 'Juggernaut dev-bot', email: 'dev-bot@juggernaut.local' };

/** git for test set-up and inspection, isolated from the host's config. */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'],
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Seed',
      GIT_AUTHOR_EMAIL: 'seed@example.com',
      GIT_COMMITTER_NAME: 'Seed',
      GIT_COMMITTER_EMAIL: 'seed@example.com',
    },
  }).trim();
}

/** A small node project whose `npm test` really runs: `sum` and a test of it. */
export const SEED_FILES: Record<string, string> = {
  'package.json':
    JSON.stringify(
      { name: 'sample', version: '1.0.0', private: true, scripts: { test: 'node test/sum.test.js' } },
      null,
      2,
    ) + '\n',
  'src/sum.js': 'function sum(a, b) {\n  return a + b;\n}\n\nmodule.exports = { sum };\n',
  'test/sum.test.js':
    "const assert = require('node:assert');\nconst { sum } = require('../src/sum');\n\nassert.strictEqual(sum(2, 3), 5);\nconsole.log('sum ok');\n",
  'README.md': '# sample\n\nA sample project.\n',
};

export interface SampleRepo {
  /** Temp directory holding everything this fixture made. */
  base: string;
  /** The bare repository: the remote. */
  remote: string;
  /** Root under which workspaces are made. */
  root: string;
  /** A scratch clone for inspecting the remote. */
  inspect(): string;
  /** Files of `branch` on the remote, read from a fresh clone. */
  fileAt(branch: string, path: string): string;
  log(branch: string): string[];
  cleanup(): void;
}

/** A bare repository seeded with SEED_FILES on `main`, in its own temp directory. */
export function sampleRepo(files: Record<string, string> = SEED_FILES): SampleRepo {
  const base = mkdtempSync(join(tmpdir(), 'jg-repo-'));
  const remote = join(base, 'remote.git');
  const seed = join(base, 'seed');
  mkdirSync(seed);
  sh(base, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  sh(seed, 'init', '--quiet', '--initial-branch=main');
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(seed, p)), { recursive: true });
    writeFileSync(join(seed, p), c);
  }
  sh(seed, 'add', '-A');
  sh(seed, 'commit', '--quiet', '-m', 'seed');
  sh(seed, 'push', '--quiet', remote, 'main:main');
  let n = 0;
  const inspect = () => {
    const d = join(base, `inspect-${n++}`);
    sh(base, 'clone', '--quiet', remote, d);
    return d;
  };
  return {
    base,
    remote,
    root: join(base, 'work'),
    inspect,
    fileAt(branch, path) {
      return sh(inspect(), 'show', `origin/${branch}:${path}`);
    },
    log(branch) {
      return sh(inspect(), 'log', '--format=%s', `origin/${branch}`).split('\n');
    },
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}
