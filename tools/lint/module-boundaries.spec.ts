import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Proves the boundary rules bite: each probe is linted as if it were a file in the named project
 * and must be refused by @nx/enforce-module-boundaries (the layers are described at the top of
 * eslint.config.mjs): one refused direction per rule, and the imports the layers exist to allow,
 * so the check is not a rubber stamp.
 */
describe('Nx module boundaries', () => {
  const root = join(__dirname, '..', '..');
  const importing = (lib: string) => `import * as probe from '@juggernaut/${lib}';\nexport const p = probe;\n`;
  const only = (tag: string, allowed: string[]) =>
    `A project tagged with "${tag}" can only depend on libs tagged with ${allowed.map((t) => `"${t}"`).join(', ')}`;
  const platformTiers = ['layer:contracts', 'layer:foundation', 'platform:io', 'platform:kit'];

  const probes = {
    contractsImportConfig: {
      file: 'libs/contracts/src/probe.ts',
      code: "import { loadConfig } from '@juggernaut/config';\nexport const x = loadConfig;\n",
    },
    foundationImportsPlatform: { file: 'libs/config/src/probe.ts', code: importing('messaging') },
    persistenceImportsMessaging: { file: 'libs/persistence/src/probe.ts', code: importing('messaging') },
    kitImportsCapability: { file: 'libs/service-kit/src/probe.ts', code: importing('llm') },
    capabilityImportsSibling: { file: 'libs/llm/src/probe.ts', code: importing('policy') },
    capabilityImportsWorker: { file: 'libs/llm/src/probe.ts', code: importing('worker') },
    platformImportsTesting: { file: 'libs/worker/src/probe.ts', code: importing('testing') },
    appImportsTesting: { file: 'apps/revenue-ledger/src/probe.ts', code: importing('testing') },
    appTestImportsTesting: { file: 'apps/revenue-ledger/test/probe.int.spec.ts', code: importing('testing') },
    appSpecImportsTesting: { file: 'apps/revenue-ledger/src/probe.spec.ts', code: importing('testing') },
    appImportsApp: {
      file: 'apps/dev-bot/src/probe.ts',
      code: "import { governanceApi } from '../../governance-api/src/service';\nexport const y = governanceApi;\n",
    },
    deepImport: {
      file: 'apps/dev-bot/src/probe.ts',
      code: "import { Bus } from '../../../libs/messaging/src/bus';\nexport const z = Bus;\n",
    },
    appImportsContracts: {
      file: 'apps/dev-bot/src/probe.ts',
      code: "import { Subjects } from '@juggernaut/contracts';\nexport const s = Subjects;\n",
    },
    foundationImportsContracts: { file: 'libs/observability/src/probe.ts', code: importing('contracts') },
    ioImportsFoundation: { file: 'libs/messaging/src/probe.ts', code: importing('observability') },
    kitImportsIo: { file: 'libs/service-kit/src/probe.ts', code: importing('persistence') },
    capabilityImportsKit: { file: 'libs/policy/src/probe.ts', code: importing('service-kit') },
    workerImportsCapability: { file: 'libs/worker/src/probe.ts', code: importing('policy') },
    testingImportsKit: { file: 'libs/testing/src/probe.ts', code: importing('service-kit') },
    appImportsWorker: { file: 'apps/agent-runner/src/probe.ts', code: importing('worker') },
    anyInTest: { file: 'e2e/probe.e2e.spec.ts', code: 'export const loose: any = 1;\n' },
  };
  let errors: Record<keyof typeof probes, string>;

  beforeAll(() => {
    // The rule reads Nx's cached project graph; refresh it so the tags in each project.json count.
    const nx = spawnSync(join(root, 'node_modules/.bin/nx'), ['show', 'projects'], {
      cwd: root,
      env: { ...process.env, NX_DAEMON: 'false' },
      encoding: 'utf8',
    });
    expect(nx.stderr).toBe('');
    // ESLint runs as its own process (its flat config is an ES module Jest's VM cannot import),
    // once for every probe.
    const lint = `
      import { ESLint } from 'eslint';
      import { readFileSync } from 'node:fs';
      const probes = JSON.parse(readFileSync(0, 'utf8'));
      const eslint = new ESLint();
      const checked = ['@nx/enforce-module-boundaries', '@typescript-eslint/no-explicit-any'];
      const out = {};
      for (const [name, { file, code }] of Object.entries(probes)) {
        const [result] = await eslint.lintText(code, { filePath: file });
        out[name] = result.messages.filter((m) => checked.includes(m.ruleId)).map((m) => m.message).join('\\n');
      }
      process.stdout.write(JSON.stringify(out));`;
    const files = Object.fromEntries(Object.entries(probes).map(([k, p]) => [k, { ...p, file: join(root, p.file) }]));
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', lint], {
      cwd: root,
      input: JSON.stringify(files),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    errors = JSON.parse(run.stdout) as typeof errors;
  }, 180_000);

  it('refuses contracts that import a library with side effects', () => {
    expect(errors.contractsImportConfig).toContain(only('layer:contracts', ['layer:contracts']));
  });

  it('refuses foundation libraries that import the platform', () => {
    expect(errors.foundationImportsPlatform).toContain(
      only('layer:foundation', ['layer:contracts', 'layer:foundation']),
    );
  });

  it('refuses a platform library that imports the test utilities', () => {
    expect(errors.platformImportsTesting).toContain(
      only('layer:platform', ['layer:contracts', 'layer:foundation', 'layer:platform']),
    );
  });

  it('refuses persistence that imports messaging (the database and the broker do not know each other)', () => {
    expect(errors.persistenceImportsMessaging).toContain(only('platform:io', ['layer:contracts', 'layer:foundation']));
  });

  it('refuses the service kit that imports a capability built on it', () => {
    // Every capability imports the kit today, so Nx finds the cycle before it reads the tags; either
    // refusal counts, and the tier rule is what still refuses it once a capability stops importing the kit.
    expect(errors.kitImportsCapability).toMatch(
      /Circular dependency between "service-kit" and "llm"|A project tagged with "platform:kit" can only depend on/,
    );
  });

  it('refuses one capability that imports another (llm and policy), or the worker library above them', () => {
    expect(errors.capabilityImportsSibling).toContain(only('platform:capability', platformTiers));
    expect(errors.capabilityImportsWorker).toContain(only('platform:capability', platformTiers));
  });

  it('refuses production code of an app that imports the test utilities', () => {
    expect(errors.appImportsTesting).toContain(
      only('layer:app', ['layer:contracts', 'layer:foundation', 'layer:platform']),
    );
  });

  it('allows tests of an app, in its test folder or beside the code, to use the test utilities', () => {
    expect(errors.appTestImportsTesting).toBe('');
    expect(errors.appSpecImportsTesting).toBe('');
  });

  it('allows each layer the layers below it', () => {
    const allowed = [
      'appImportsContracts',
      'foundationImportsContracts',
      'ioImportsFoundation',
      'kitImportsIo',
      'capabilityImportsKit',
      'workerImportsCapability',
      'testingImportsKit',
      'appImportsWorker',
    ] as const;
    expect(allowed.map((probe) => [probe, errors[probe]])).toEqual(allowed.map((probe) => [probe, '']));
  });

  it('refuses an app that imports another app', () => {
    expect(errors.appImportsApp).toMatch(/Projects cannot be imported by a relative or absolute path/);
  });

  it('refuses an explicit any in test code too (only the files still listed in eslint.config.mjs hold one)', () => {
    expect(errors.anyInTest).toContain('Unexpected any');
  });

  it('refuses a deep import past a library index', () => {
    expect(errors.deepImport).not.toBe('');
  });
});
