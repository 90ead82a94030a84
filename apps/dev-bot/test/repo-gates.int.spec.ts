import { DEFAULT_GATE_POLICY, evaluateGates, type GatePolicy } from '../src/gates/gates';

/** The gates over the diff, merge approval left to them (the default asks a human for every merge: gates.spec.ts). */
const POLICY: GatePolicy = { ...DEFAULT_GATE_POLICY, mergeRequiresApproval: false };
import { Workspace } from '../src/workspace/workspace';
import { AUTHOR, type SampleRepo, sampleRepo, sh } from './repo-fixture';

describe('gates over a real workspace diff', () => {
  let repo: SampleRepo;
  let ws: Workspace;

  beforeEach(async () => {
    repo = sampleRepo();
    ws = await Workspace.create({
      root: repo.root,
      cloneUrl: repo.remote,
      targetBranch: 'main',
      branch: 'juggernaut/gates',
      author: AUTHOR,
    });
  });
  afterEach(async () => {
    await ws.dispose();
    repo.cleanup();
  });

  it('passes an honest fix with a new test', async () => {
    await ws.write(
      'src/sum.js',
      'function sum(a, b) {\n  return Number(a) + Number(b);\n}\n\nmodule.exports = { sum };\n',
    );
    await ws.write(
      'test/sum.test.js',
      (await ws.read('test/sum.test.js')).replace(
        "console.log('sum ok');",
        "assert.strictEqual(sum('2', 3), 5);\nconsole.log('sum ok');",
      ),
    );
    await ws.commitAll('Coerce operands');
    expect(evaluateGates(await ws.diff(), POLICY)).toEqual({ findings: [], refused: false, needsApproval: false });
  });

  it('sees committed and uncommitted tampering, protected paths and secrets in git’s own diff output', async () => {
    await ws.write(
      'test/sum.test.js',
      "const { sum } = require('../src/sum');\n\nsum(2, 3);\nconsole.log('sum ok');\n",
    );
    await ws.commitAll('Simplify test');
    await ws.write('.github/workflows/ci.yml', 'on: push\njobs: {}\n');
    await ws.write('src/config.js', "module.exports = { key: 'AKIAIOSFODNN7EXAMPL3' };\n");
    sh(ws.dir, 'mv', 'README.md', 'docs.md');
    const r = evaluateGates(await ws.diff(), POLICY);
    expect(r.findings).toEqual(
      expect.arrayContaining([
        {
          gate: 'test-tamper',
          verdict: 'needs-approval',
          path: 'test/sum.test.js',
          message:
            '1 assertion(s) removed without replacement, e.g. removed test/sum.test.js:4: assert.strictEqual(sum(2, 3), 5);',
        },
        expect.objectContaining({ gate: 'protected-path', path: '.github/workflows/ci.yml' }),
        {
          gate: 'secret',
          verdict: 'refuse',
          path: 'src/config.js',
          message: 'possible secret (AWS access key id) added at src/config.js:1',
        },
      ]),
    );
    expect(r.findings).toHaveLength(3);
    expect(r).toMatchObject({ refused: true, needsApproval: true });
  });

  it('scans files whatever their names, as git prints them', async () => {
    await ws.write('src/tëst "quoted"\tname.js', "const key = 'AKIAIOSFODNN7EXAMPL3';\n");
    await ws.write('my dir/a b.js', "const gh = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';\n");
    const r = evaluateGates(await ws.diff(), POLICY);
    expect(r.findings.map((f) => [f.gate, f.path]).sort()).toEqual([
      ['secret', 'my dir/a b.js'],
      ['secret', 'src/tëst "quoted"\tname.js'],
    ]);
  });
});
