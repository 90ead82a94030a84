import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Proves the boundary rules bite: each probe is linted as if it were a file in the named
 * project, and must be refused by @nx/enforce-module-boundaries.
 */
describe('Nx module boundaries', () => {
  const root = join(__dirname, '..', '..');

  // ESLint runs as its own process (its flat config is an ES module Jest's VM cannot import).
  async function boundaryErrors(file: string, code: string): Promise<string[]> {
    const run = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/eslint/bin/eslint.js'),
        '--format',
        'json',
        '--stdin',
        '--stdin-filename',
        join(root, file),
      ],
      {
        cwd: root,
        input: code,
        encoding: 'utf8',
      },
    );
    const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
    return result!.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it('refuses contracts that import a library with side effects', async () => {
    const errors = await boundaryErrors(
      'libs/contracts/src/probe.ts',
      "import { loadConfig } from '@juggernaut/config';\nexport const x = loadConfig;\n",
    );
    expect(errors.join('\n')).toContain(
      'tagged with "type:contracts" can only depend on libs tagged with "type:contracts"',
    );
  });

  it('refuses an app that imports another app', async () => {
    const errors = await boundaryErrors(
      'apps/dev-bot/src/probe.ts',
      "import { governanceApi } from '../../governance-api/src/service';\nexport const y = governanceApi;\n",
    );
    expect(errors.join('\n')).toMatch(/Projects cannot be imported by a relative or absolute path/);
  });

  it('refuses a deep import past a library index', async () => {
    const errors = await boundaryErrors(
      'apps/dev-bot/src/probe.ts',
      "import { Bus } from '../../../libs/messaging/src/bus';\nexport const z = Bus;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });

  it('allows an app to use shared libraries through their index', async () => {
    const errors = await boundaryErrors(
      'apps/dev-bot/src/probe.ts',
      "import { Subjects } from '@juggernaut/contracts';\nexport const s = Subjects;\n",
    );
    expect(errors).toEqual([]);
  });
});
