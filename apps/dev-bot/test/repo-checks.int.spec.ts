import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectSandbox, runChecks } from '../src/checks/check-runner';
import { Workspace } from '../src/workspace/workspace';
import { AUTHOR, type SampleRepo, sampleRepo } from './repo-fixture';

/** This machine allows user namespaces; the suite asserts the sandbox where it exists. */
const namespacesAvailable = (() => {
  try {
    execFileSync('unshare', ['-rn', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('check runner', () => {
  let repo: SampleRepo;
  let ws: Workspace;
  let scratch: string;

  beforeEach(async () => {
    repo = sampleRepo();
    ws = await Workspace.create({ root: repo.root, cloneUrl: repo.remote, targetBranch: 'main', branch: 'juggernaut/checks', author: AUTHOR });
    scratch = mkdtempSync(join(tmpdir(), 'jg-checks-'));
  });
  afterEach(async () => {
    await ws.dispose();
    repo.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs the repository's own test script and captures its output", async () => {
    const run = await runChecks(ws.dir, [{ name: 'test', command: 'npm test --silent' }], { timeoutMs: 60_000 });
    expect(run.ok).toBe(true);
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ name: 'test', command: 'npm test --silent', exitCode: 0, timedOut: false, ok: true });
    expect(run.results[0]!.output).toContain('sum ok');
  });

  it('fails on a non-zero exit, keeps the failure output, and stops at the first failing command', async () => {
    await ws.write('src/sum.js', 'module.exports = { sum: (a, b) => a - b };\n');
    const run = await runChecks(
      ws.dir,
      [
        { name: 'lint', command: 'echo linted' },
        { name: 'test', command: 'node test/sum.test.js' },
        { name: 'never', command: `touch ${join(scratch, 'ran')}` },
      ],
      { timeoutMs: 30_000 },
    );
    expect(run.ok).toBe(false);
    expect(run.results.map((r) => [r.name, r.ok])).toEqual([
      ['lint', true],
      ['test', false],
    ]);
    expect(run.results[1]!.exitCode).toBe(1);
    expect(run.results[1]!.output).toMatch(/AssertionError|Expected values to be strictly equal/);
    expect(existsSync(join(scratch, 'ran'))).toBe(false);
  });

  it('kills the whole process tree when the time limit passes', async () => {
    const inGroup = join(scratch, 'in-group');
    const ownSession = join(scratch, 'own-session');
    // Grandchildren that would write their marker later if they survived; one even leaves the process group.
    const command = `(sleep 3; touch ${inGroup}) & setsid sh -c 'sleep 3; touch ${ownSession}' & sleep 30`;
    const run = await runChecks(ws.dir, [{ name: 'slow', command }], { timeoutMs: 500 });
    expect(run.ok).toBe(false);
    expect(run.results[0]).toMatchObject({ timedOut: true, exitCode: null, ok: false });
    expect(run.results[0]!.output).toContain('time limit of 500 ms');
    await new Promise((r) => setTimeout(r, 4_000));
    expect(existsSync(inGroup)).toBe(false);
    // Only a PID namespace catches a process that left the group.
    if (namespacesAvailable) expect(existsSync(ownSession)).toBe(false);
  });

  it('stops when the run is cancelled', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const run = await runChecks(ws.dir, [{ name: 'wait', command: 'sleep 30' }, { name: 'after', command: 'true' }], { timeoutMs: 60_000, signal: ac.signal });
    expect(run.ok).toBe(false);
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ exitCode: null, timedOut: false, ok: false });
    expect(run.results[0]!.output).toContain('cancelled');
  });

  it("never sees the service's environment", async () => {
    const saved = { key: process.env['OPENAI_API_KEY'], db: process.env['DATABASE_URL'] };
    process.env['OPENAI_API_KEY'] = 'sk-test-parent-secret-0123456789';
    process.env['DATABASE_URL'] = 'postgres://app:hunter2@127.0.0.1:5432/app';
    try {
      const run = await runChecks(ws.dir, [{ name: 'env', command: `env > ${join(scratch, 'env.txt')}; env` }], { timeoutMs: 10_000 });
      expect(run.ok).toBe(true);
      const seen = readFileSync(join(scratch, 'env.txt'), 'utf8');
      expect(seen).not.toContain('hunter2');
      expect(seen).not.toContain('sk-test-parent-secret');
      const names = seen
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('=')[0]);
      // sh adds PWD (and may add SHLVL/_) itself; nothing else comes from the parent.
      expect(names.filter((n) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n!)).sort()).toEqual(['CI', 'HOME', 'LANG', 'PATH']);
      const home = /^HOME=(.*)$/m.exec(seen)![1]!;
      expect(home).not.toBe(process.env['HOME']);
      expect(existsSync(home)).toBe(false); // removed after the command
    } finally {
      restore('OPENAI_API_KEY', saved.key);
      restore('DATABASE_URL', saved.db);
    }
  });

  it('redacts secrets that appear in output and keeps only the tail', async () => {
    const run = await runChecks(
      ws.dir,
      [{ name: 'noisy', command: "node -e \"for (let i = 0; i < 2000; i++) console.log('line ' + i); console.log('token ghp_abcdefghijklmnopqrstuvwxyz0123456789')\"" }],
      { timeoutMs: 10_000, outputLimitBytes: 1024 },
    );
    const out = run.results[0]!.output;
    expect(out).toContain('line 1999');
    expect(out).not.toContain('line 10\n');
    expect(out).toMatch(/^\[\d+ earlier bytes omitted\]/);
    expect(out).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(out).toContain('[REDACTED]');
  });

  it('refuses malformed commands, naming the field', async () => {
    await expect(runChecks(ws.dir, [{ name: '', command: 'true' }], { timeoutMs: 1000 })).rejects.toThrow('commands[0].name');
    await expect(runChecks(ws.dir, [{ name: 'x', command: ' ' }], { timeoutMs: 1000 })).rejects.toThrow('commands[0].command');
    await expect(runChecks(ws.dir, [], { timeoutMs: 0 })).rejects.toThrow('timeoutMs');
    await expect(runChecks(join(ws.dir, 'missing'), [{ name: 'x', command: 'true' }], { timeoutMs: 1000 })).rejects.toThrow(/dir ".*missing" is not a directory/);
  });

  (namespacesAvailable ? describe : describe.skip)('network', () => {
    let server: Server;
    let port: number;
    let hostAddress: string;

    beforeAll(async () => {
      server = createServer((s) => s.end('hello\n'));
      await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
      port = (server.address() as { port: number }).port;
      const nic = Object.values(networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal);
      hostAddress = nic?.address ?? '';
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    const connect = (host: string, p: number | string) =>
      `node -e "require('net').connect(${p}, '${host}').on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log('refused ' + e.code); process.exit(3) })"`;

    it('reports the sandbox it used', async () => {
      expect(await detectSandbox()).not.toBeNull();
      const run = await runChecks(ws.dir, [{ name: 'true', command: 'true' }], { timeoutMs: 10_000 });
      expect(run.network).toBe('loopback-only');
    });

    it('cannot reach an address beyond loopback, nor the host loopback', async () => {
      expect(hostAddress).not.toBe('');
      // The same connection from outside the sandbox works: the server is really there.
      expect(execFileSync('sh', ['-c', connect(hostAddress, port)], { encoding: 'utf8' })).toContain('connected');
      const run = await runChecks(ws.dir, [{ name: 'out', command: connect(hostAddress, port) }], { timeoutMs: 15_000 });
      expect(run.results[0]).toMatchObject({ ok: false, exitCode: 3 });
      expect(run.results[0]!.output).toMatch(/refused (ENETUNREACH|ECONNREFUSED|EHOSTUNREACH)/);
      const host = await runChecks(ws.dir, [{ name: 'host-lo', command: connect('127.0.0.1', port) }], { timeoutMs: 15_000 });
      expect(host.results[0]!.output).toContain('refused ECONNREFUSED');
    });

    it("cannot change the workspace's .git (hooks, config, refs), only the working tree", async () => {
      const config = readFileSync(join(ws.dir, '.git/config'), 'utf8');
      const head = readFileSync(join(ws.dir, '.git/HEAD'), 'utf8');
      const attempt = [
        'printf "[filter \\"x\\"]\\n\\tclean = touch /tmp/pwned\\n" >> .git/config',
        'echo "#!/bin/sh" > .git/hooks/post-commit',
        'echo ref: refs/heads/main > .git/HEAD',
        'umount .git',
        'mount -o remount,bind,rw .git',
      ];
      const run = await runChecks(ws.dir, attempt.map((command, i) => ({ name: `tamper-${i}`, command: `${command}; echo wrote > src/ok.txt; exit 0` })), { timeoutMs: 15_000 });
      expect(run.ok).toBe(true);
      expect(readFileSync(join(ws.dir, '.git/config'), 'utf8')).toBe(config);
      expect(readFileSync(join(ws.dir, '.git/HEAD'), 'utf8')).toBe(head);
      expect(existsSync(join(ws.dir, '.git/hooks/post-commit'))).toBe(false);
      expect(run.results.map((r) => r.output).join('\n')).toMatch(/Read-only file system/);
      expect(readFileSync(join(ws.dir, 'src/ok.txt'), 'utf8')).toBe('wrote\n');
    });

    it('can reach a server it starts on 127.0.0.1 (loopback is up)', async () => {
      const script = join(scratch, 'loop.js');
      writeFileSync(
        script,
        "const net = require('net');\nconst s = net.createServer((c) => c.end('pong')).listen(0, '127.0.0.1', () => {\n  net.connect(s.address().port, '127.0.0.1').on('data', (d) => { console.log('got ' + d); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(4); });\n});\n",
      );
      const run = await runChecks(ws.dir, [{ name: 'loop', command: `node ${script}` }], { timeoutMs: 15_000 });
      expect(run.results[0]!.output).toContain('got pong');
      expect(run.ok).toBe(true);
    });
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
