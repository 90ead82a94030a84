import type { ChangeDiff, ChangeDiffFile } from '../workspace/workspace';
import { DEFAULT_GATE_POLICY, type GatePolicy, evaluateGates } from './gates';

interface Entry {
  path: string;
  status?: ChangeDiffFile['status'];
  oldPath?: string;
  remove?: string[];
  add?: string[];
}

/** A ChangeDiff as Workspace.diff() reports it, built from per-file removed and added lines. */
function diffOf(...entries: Entry[]): ChangeDiff {
  const files: ChangeDiffFile[] = [];
  let patch = '';
  for (const e of entries) {
    const remove = e.remove ?? [];
    const add = e.add ?? [];
    const status = e.status ?? (remove.length && !add.length ? 'deleted' : !remove.length ? 'added' : 'modified');
    const old = e.oldPath ?? e.path;
    patch += `diff --git a/${old} b/${e.path}\n`;
    patch += status === 'added' ? '--- /dev/null\n' : `--- a/${old}\n`;
    patch += status === 'deleted' ? '+++ /dev/null\n' : `+++ b/${e.path}\n`;
    if (remove.length || add.length) {
      patch += `@@ -${remove.length ? 1 : 0},${remove.length} +${add.length ? 1 : 0},${add.length} @@\n`;
      for (const l of remove) patch += `-${l}\n`;
      for (const l of add) patch += `+${l}\n`;
    }
    files.push({
      path: e.path,
      status,
      added: add.length,
      removed: remove.length,
      ...(e.oldPath ? { oldPath: e.oldPath } : {}),
    });
  }
  return {
    patch,
    files,
    added: files.reduce((s, f) => s + f.added, 0),
    removed: files.reduce((s, f) => s + f.removed, 0),
  };
}

/** The other gates, with merges left to them (the default asks a human for every merge; tested below). */
const AUTO_MERGE: GatePolicy = { ...DEFAULT_GATE_POLICY, mergeRequiresApproval: false };
const gates = (d: ChangeDiff, p: GatePolicy = AUTO_MERGE) => evaluateGates(d, p);
const only = (d: ChangeDiff, p?: GatePolicy) => gates(d, p).findings.map((f) => [f.gate, f.verdict]);

describe('gates', () => {
  const clean = diffOf(
    { path: 'src/sum.js', remove: ['  return a - b;'], add: ['  return a + b;'] },
    {
      path: 'test/sum.test.js',
      remove: ['assert.strictEqual(sum(2, 3), 5);'],
      add: ['assert.strictEqual(sum(2, 3), 5);', 'assert.strictEqual(sum(-1, 1), 0);'],
    },
    { path: 'README.md', add: ['Adds numbers.'] },
  );

  it('passes a clean, small change', () => {
    expect(gates(clean)).toEqual({ findings: [], refused: false, needsApproval: false });
  });

  describe('size and files', () => {
    const policy = { ...AUTO_MERGE, maxChangedLines: 10, maxFiles: 2 };
    it('refuses a change above the line limit and passes one at it', () => {
      const big = diffOf({ path: 'src/a.js', add: Array.from({ length: 11 }, (_, i) => `const a${i} = ${i};`) });
      expect(only(big, policy)).toEqual([['size', 'refuse']]);
      expect(gates(big, policy).findings[0]!.message).toBe('the change touches 11 lines (+11 −0); the limit is 10');
      const atLimit = diffOf({ path: 'src/a.js', add: Array.from({ length: 10 }, (_, i) => `const a${i} = ${i};`) });
      expect(only(atLimit, policy)).toEqual([]);
    });
    it('refuses a change above the file limit', () => {
      expect(only(clean, policy)).toEqual([['files', 'refuse']]);
      expect(gates(clean, policy).refused).toBe(true);
      expect(only(diffOf({ path: 'a.js', add: ['1'] }, { path: 'b.js', add: ['2'] }), policy)).toEqual([]);
    });
  });

  describe('paths', () => {
    it('asks for approval for protected paths (CI, deployment, migrations)', () => {
      for (const path of [
        '.github/workflows/ci.yml',
        '.gitlab-ci.yml',
        'k8s/base/deployment.yaml',
        'docker/Dockerfile',
        'config/prod.env',
        'apps/api/src/migrations/1-init.ts',
      ]) {
        const r = gates(diffOf({ path, add: ['x: 1'] }));
        expect([path, r.findings.map((f) => f.gate)]).toEqual([path, ['protected-path']]);
        expect(r).toMatchObject({ refused: false, needsApproval: true });
        expect(r.findings[0]).toMatchObject({ path, message: expect.stringContaining('a human must approve') });
      }
    });
    it('refuses secrets files and the bot’s own and policy code, but not examples', () => {
      for (const path of [
        '.env',
        'api/.env.production',
        'certs/server.pem',
        'deploy/id_rsa',
        'config/secrets/db.json',
        '.npmrc',
        'apps/dev-bot/src/gates/gates.ts',
        'apps/governance-api/src/budgets/budgets.service.ts',
      ]) {
        const r = gates(diffOf({ path, add: ['x'] }));
        expect([path, r.findings.map((f) => [f.gate, f.verdict])]).toEqual([path, [['denied-path', 'refuse']]]);
      }
      expect(only(diffOf({ path: '.env.example', add: ['DATABASE_URL='] }))).toEqual([]);
      expect(only(diffOf({ path: 'src/environment.ts', add: ['export const env = 1;'] }))).toEqual([]);
    });
    it('checks both sides of a rename', () => {
      const r = gates(diffOf({ path: 'src/ci.yml', oldPath: '.github/workflows/ci.yml', status: 'renamed' }));
      expect(r.findings).toEqual([
        expect.objectContaining({ gate: 'protected-path', path: '.github/workflows/ci.yml' }),
      ]);
    });
    it('follows a custom policy', () => {
      const policy = { ...AUTO_MERGE, protectedPaths: ['src/**', '!src/safe/**'], deniedPaths: ['vendor/**'] };
      expect(only(diffOf({ path: 'src/core.js', add: ['1'] }), policy)).toEqual([['protected-path', 'needs-approval']]);
      expect(only(diffOf({ path: 'src/safe/ok.js', add: ['1'] }), policy)).toEqual([]);
      expect(only(diffOf({ path: 'vendor/lib.js', add: ['1'] }), policy)).toEqual([['denied-path', 'refuse']]);
    });
  });

  describe('secrets', () => {
    const cases: Array<[string, string]> = [
      ['AWS access key id', 'const id = "AKIAIOSFODNN7EXAMPL3";'],
      ['GitHub token', 'token: ghp_0123456789abcdefghijABCDEFGHIJ012345'],
      ['OpenAI API key', 'OPENAI_API_KEY=sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ'],
      ['private key', '-----BEGIN RSA PRIVATE KEY-----'],
      ['private key', '-----BEGIN OPENSSH PRIVATE KEY-----'],
      ['credentials in a URL', "const url = 'postgres://app:s3cr3tPassw0rd@db.internal:5432/app';"],
      ['high-entropy value assigned to client_secret', 'client_secret = "Zq8vN3xR7pL2wK9sT4bY6mC1"'],
      ['high-entropy value assigned to apiKey', "  apiKey: 'h7Fk2Lp9Qw3Rt8Zx5Vb1Nm4C',"],
    ];
    it.each(cases)('refuses a %s and never repeats the value', (kind, line) => {
      const r = gates(diffOf({ path: 'src/config.js', add: ['const a = 1;', line] }));
      expect(r.refused).toBe(true);
      expect(r.findings).toEqual([
        {
          gate: 'secret',
          verdict: 'refuse',
          path: 'src/config.js',
          message: `possible secret (${kind}) added at src/config.js:2`,
        },
      ]);
      expect(JSON.stringify(r)).not.toContain(line.trim().slice(-12));
    });
    it('does not fire on placeholders, env references, low-entropy values, or secrets only removed', () => {
      const d = diffOf(
        {
          path: 'src/config.js',
          remove: ['token: ghp_0123456789abcdefghijABCDEFGHIJ012345'],
          add: [
            'const apiKey = process.env.OPENAI_API_KEY;',
            'password = "changeme-changeme"',
            'const token = "aaaaaaaaaaaaaaaaaaaa";',
            "const url = 'postgres://user:${PASSWORD}@db:5432/app';",
            'const sketch = "sk-" + suffix;',
            "const secretName = 'DATABASE_URL';",
          ],
        },
        {
          path: 'docs/setup.md',
          add: ['Set `OPENAI_API_KEY=sk-...` in your shell.', 'postgres://postgres:example@localhost/db'],
        },
      );
      expect(gates(d).findings).toEqual([]);
    });
  });

  describe('test tamper', () => {
    const tamper = (d: ChangeDiff) => {
      const r = gates(d);
      expect(r.refused).toBe(false);
      return r.findings.filter((f) => f.gate === 'test-tamper').map((f) => f.message);
    };

    it('flags a deleted test file and a test renamed out of the suite', () => {
      expect(tamper(diffOf({ path: 'test/sum.test.js', remove: ["require('assert')"] }))).toEqual([
        'test file test/sum.test.js is deleted',
      ]);
      expect(tamper(diffOf({ path: 'src/sum.check.js', oldPath: 'src/sum.spec.ts', status: 'renamed' }))).toEqual([
        'test file src/sum.spec.ts is renamed to src/sum.check.js, which is no longer run as a test',
      ]);
      expect(tamper(diffOf({ path: 'test/sum.spec.js', oldPath: 'test/sum.test.js', status: 'renamed' }))).toEqual([]);
    });

    it.each([
      ["  it.skip('adds', () => {"],
      ["describe.only('sum', () => {"],
      ["  xit('adds', () => {"],
      ["xdescribe('sum', () => {"],
      ['@pytest.mark.skip(reason="flaky")'],
      ['\tt.Skip("later")'],
    ])('flags a newly skipped or focused test: %s', (line) => {
      const msgs = tamper(
        diffOf({ path: 'src/sum.spec.ts', remove: ["  it('adds', () => {"], add: [line, '  expect(1).toBe(1);'] }),
      );
      expect(msgs).toEqual([
        expect.stringContaining(`newly skipped or focused, e.g. src/sum.spec.ts:1: ${line.trim()}`),
      ]);
    });

    it('does not flag a skip that only moved, nor words that look like skips', () => {
      expect(
        tamper(
          diffOf({ path: 'src/a.spec.ts', remove: ["it.skip('a', () => {"], add: ["it.skip('a renamed', () => {"] }),
        ),
      ).toEqual([]);
      expect(
        tamper(
          diffOf({
            path: 'src/list.ts',
            add: ['const skipList = items.filter(onlyVisible);', 'function fit(a) { return a; }'],
          }),
        ),
      ).toEqual([]);
    });

    it('flags assertions removed without replacement, not ones rewritten', () => {
      const weakened = diffOf({
        path: 'test/sum.test.js',
        remove: ['assert.strictEqual(sum(2, 3), 5);', 'assert.strictEqual(sum(1, 1), 2);'],
        add: ['sum(2, 3);'],
      });
      expect(tamper(weakened)).toEqual([
        '2 assertion(s) removed without replacement, e.g. removed test/sum.test.js:1: assert.strictEqual(sum(2, 3), 5);',
      ]);
      const rewritten = diffOf({
        path: 'src/x.spec.ts',
        remove: ['expect(sum(2, 3)).toBe(5);'],
        add: ['expect(sum(2, 3)).toEqual(5);'],
      });
      expect(tamper(rewritten)).toEqual([]);
      // Outside test files, removing an assert is ordinary code change.
      expect(tamper(diffOf({ path: 'src/guard.js', remove: ["assert(x, 'x');"], add: ['check(x);'] }))).toEqual([]);
    });

    it('flags assertions weakened to existence or truthiness checks, not equally strict rewrites', () => {
      expect(
        tamper(
          diffOf({
            path: 'src/sum.spec.ts',
            remove: ['    expect(sum(2, 3)).toBe(5);'],
            add: ['    expect(sum(2, 3)).toBeDefined();'],
          }),
        ),
      ).toEqual([
        'assertions weakened: src/sum.spec.ts:1: expect(sum(2, 3)).toBe(5); became src/sum.spec.ts:1: expect(sum(2, 3)).toBeDefined();',
      ]);
      expect(
        tamper(
          diffOf({ path: 'test/sum.test.js', remove: ['assert.strictEqual(sum(2, 3), 5);'], add: ['assert(sum);'] }),
        ),
      ).toHaveLength(1);
      expect(
        tamper(
          diffOf({
            path: 'src/a.spec.ts',
            remove: ['expect(fn).toHaveBeenCalledWith(1);'],
            add: ['expect(fn).toHaveBeenCalled();'],
          }),
        ),
      ).toHaveLength(1);
      expect(
        tamper(
          diffOf({
            path: 'src/sum.spec.ts',
            remove: ['expect(sum(2, 3)).toBe(5);'],
            add: ['expect(sum(2, 3)).toStrictEqual(5);'],
          }),
        ),
      ).toEqual([]);
      // A new weak check next to the strict ones is fine.
      expect(tamper(diffOf({ path: 'src/sum.spec.ts', add: ['expect(sum).toBeDefined();'] }))).toEqual([]);
    });

    it('flags new lint and type-check suppressions', () => {
      expect(tamper(diffOf({ path: 'src/a.ts', add: ['// @ts-ignore', 'const a: number = "x";'] }))).toEqual([
        'lint/type/coverage suppression added: src/a.ts:1: // @ts-ignore',
      ]);
      expect(tamper(diffOf({ path: 'src/b.ts', add: ['/* eslint-disable */'] }))).toHaveLength(1);
      expect(tamper(diffOf({ path: 'src/c.ts', remove: ['// @ts-ignore'], add: ['const ok = 1;'] }))).toEqual([]);
    });

    it('flags relaxed tsconfig, lint, jest and coverage settings and test script changes', () => {
      expect(
        tamper(diffOf({ path: 'tsconfig.base.json', remove: ['    "strict": true,'], add: ['    "strict": false,'] })),
      ).toEqual([
        'type checking relaxed: tsconfig.base.json:1: "strict": false,',
        'strict type-check option removed: tsconfig.base.json:1: (removed) "strict": true,',
      ]);
      expect(
        tamper(
          diffOf({
            path: 'eslint.config.mjs',
            remove: ["  '@typescript-eslint/no-explicit-any': 'error',"],
            add: ["  '@typescript-eslint/no-explicit-any': 'off',"],
          }),
        ),
      ).toEqual(["lint rules relaxed: eslint.config.mjs:1: '@typescript-eslint/no-explicit-any': 'off',"]);
      expect(
        tamper(diffOf({ path: 'jest.config.js', remove: ['    branches: 80,'], add: ['    branches: 50,'] })),
      ).toEqual(['coverage threshold lowered: jest.config.js:1: branches 80 → 50']);
      expect(
        tamper(diffOf({ path: 'jest.config.js', add: ["  testPathIgnorePatterns: ['/test/slow/'],"] })),
      ).toHaveLength(1);
      expect(
        tamper(
          diffOf({
            path: 'package.json',
            remove: ['    "test": "node test/sum.test.js",'],
            add: ['    "test": "echo ok",'],
          }),
        ),
      ).toEqual(['"test" script changed: package.json:1: "node test/sum.test.js" → "echo ok"']);
    });

    it('does not flag tightened settings or unrelated config edits', () => {
      expect(
        tamper(diffOf({ path: 'tsconfig.json', remove: ['    "strict": false,'], add: ['    "strict": true,'] })),
      ).toEqual([]);
      expect(
        tamper(diffOf({ path: 'jest.config.js', remove: ['    branches: 50,'], add: ['    branches: 80,'] })),
      ).toEqual([]);
      expect(
        tamper(diffOf({ path: 'package.json', remove: ['  "version": "1.0.0",'], add: ['  "version": "1.1.0",'] })),
      ).toEqual([]);
      expect(tamper(diffOf({ path: 'eslint.config.mjs', add: ["  'no-console': 'error',"] }))).toEqual([]);
    });

    it('needs approval, with the evidence, but does not refuse', () => {
      const r = gates(
        diffOf({ path: 'test/sum.test.js', remove: ['assert.strictEqual(sum(2, 3), 5);'], add: ['// fine'] }),
      );
      expect(r).toMatchObject({ refused: false, needsApproval: true });
      expect(r.findings[0]).toMatchObject({ gate: 'test-tamper', verdict: 'needs-approval', path: 'test/sum.test.js' });
    });
  });

  describe('safe defaults', () => {
    it('every merge waits for a human unless the repository turns that off', () => {
      const r = evaluateGates(clean);
      expect(r).toMatchObject({ refused: false, needsApproval: true });
      expect(r.findings).toEqual([
        {
          gate: 'merge-approval',
          verdict: 'needs-approval',
          message: expect.stringContaining('mergeRequiresApproval'),
        },
      ]);
      expect(evaluateGates(clean, AUTO_MERGE)).toEqual({ findings: [], refused: false, needsApproval: false });
    });

    it('protects the code that decides who may do what, every dependency manifest and lockfile, CI and deployment', () => {
      const paths = [
        'apps/governance-api/src/auth/api-key.guard.ts',
        'apps/governance-api/src/approvals/approvals.service.ts',
        'apps/governance-api/src/audit/audit-trail.ts',
        'apps/task-dispatcher/src/policy/dispatch-policy.ts',
        'libs/policy/src/policy-follower.ts',
        'libs/worker/src/task-worker.ts',
        'package.json',
        'package-lock.json',
        'web/yarn.lock',
        'svc/requirements.txt',
        'go.sum',
        'Cargo.lock',
        '.ci/run',
        '.github/workflows/ci.yml',
        'k8s/base/deployment.yaml',
        'docker/Dockerfile',
      ];
      for (const path of paths) {
        expect([path, only(diffOf({ path, add: ['x'] }))]).toEqual([path, [['protected-path', 'needs-approval']]]);
      }
      expect(only(diffOf({ path: 'apps/governance-api/src/policies/policies.service.ts', add: ['x'] }))).toEqual([
        ['denied-path', 'refuse'],
      ]);
    });
  });

  it('refuses an invalid policy, naming the field', () => {
    expect(() => gates(clean, { ...DEFAULT_GATE_POLICY, maxFiles: 0 })).toThrow(
      'gate policy maxFiles must be a positive integer',
    );
    expect(() => gates(clean, { ...DEFAULT_GATE_POLICY, deniedPaths: [''] })).toThrow('gate policy deniedPaths');
    expect(() => gates(clean, { ...DEFAULT_GATE_POLICY, mergeRequiresApproval: 'no' as unknown as boolean })).toThrow(
      'gate policy mergeRequiresApproval',
    );
  });
});
