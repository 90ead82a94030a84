import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckSandboxError, runChecks } from '../src/checks/check-runner';
import { Workspace } from '../src/workspace/workspace';
import { AUTHOR, type SampleRepo, sampleRepo } from './repo-fixture';

/**
 * The check sandbox needs bubblewrap and user namespaces (CI installs bubblewrap: .ci/ensure-services.sh).
 * Checks never run without it, so every test here runs in it; "refuses to run" below shows the refusal.
 */

describe('check runner', () => {
  let repo: SampleRepo;
  let ws: Workspace;
  let scratch: string;

  beforeEach(async () => {
    repo = sampleRepo();
    ws = await Workspace.create({
      root: repo.root,
      cloneUrl: repo.remote,
      targetBranch: 'main',
      branch: 'juggernaut/checks',
      author: AUTHOR,
    });
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
    expect(run.results[0]).toMatchObject({
      name: 'test',
      command: 'npm test --silent',
      exitCode: 0,
      timedOut: false,
      ok: true,
    });
    expect(run.results[0]!.output).toContain('sum ok');
  });

  it('fails on a non-zero exit, keeps the failure output, and stops at the first failing command', async () => {
    await ws.write('src/sum.js', 'module.exports = { sum: (a, b) => a - b };\n');
    const run = await runChecks(
      ws.dir,
      [
        { name: 'lint', command: 'echo linted' },
        { name: 'test', command: 'node test/sum.test.js' },
        { name: 'never', command: 'touch ran' },
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
    expect(existsSync(join(ws.dir, 'ran'))).toBe(false);
  });

  it('kills the whole process tree when the time limit passes', async () => {
    // Markers in the clone, the one place a check can write that outlives it.
    const inGroup = join(ws.dir, 'in-group');
    const ownSession = join(ws.dir, 'own-session');
    // Grandchildren that would write their marker later if they survived; one even leaves the process group.
    const command = `(sleep 3; touch ${inGroup}) & setsid sh -c 'sleep 3; touch ${ownSession}' & sleep 30`;
    const run = await runChecks(ws.dir, [{ name: 'slow', command }], { timeoutMs: 500 });
    expect(run.ok).toBe(false);
    expect(run.results[0]).toMatchObject({ timedOut: true, exitCode: null, ok: false });
    expect(run.results[0]!.output).toContain('time limit of 500 ms');
    expect(run.results[0]!.limitsReached).toContain('time');
    await new Promise((r) => setTimeout(r, 4_000));
    expect(existsSync(inGroup)).toBe(false);
    // Only a PID namespace catches a process that left the group.
    expect(existsSync(ownSession)).toBe(false);
  });

  it('stops when the run is cancelled', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const run = await runChecks(
      ws.dir,
      [
        { name: 'wait', command: 'sleep 30' },
        { name: 'after', command: 'true' },
      ],
      { timeoutMs: 60_000, signal: ac.signal },
    );
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
      const run = await runChecks(ws.dir, [{ name: 'env', command: 'env > env.txt; env' }], { timeoutMs: 10_000 });
      expect(run.ok).toBe(true);
      const seen = readFileSync(join(ws.dir, 'env.txt'), 'utf8');
      expect(seen).not.toContain('hunter2');
      expect(seen).not.toContain('sk-test-parent-secret');
      const names = seen
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('=')[0]);
      // sh adds PWD (and may add SHLVL/_) itself; nothing else comes from the parent.
      expect(names.filter((n) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n!)).sort()).toEqual([
        'CI',
        'HOME',
        'LANG',
        'PATH',
      ]);
      // HOME is in the check's private /tmp, which goes with it.
      const home = /^HOME=(.*)$/m.exec(seen)![1]!;
      expect(home).not.toBe(process.env['HOME']);
      expect(home).toMatch(/^\/tmp\//);
    } finally {
      restore('OPENAI_API_KEY', saved.key);
      restore('DATABASE_URL', saved.db);
    }
  });

  it('redacts secrets that appear in output and keeps only the tail', async () => {
    const run = await runChecks(
      ws.dir,
      [
        {
          name: 'noisy',
          command:
            "node -e \"for (let i = 0; i < 2000; i++) console.log('line ' + i); console.log('token ghp_abcdefghijklmnopqrstuvwxyz0123456789')\"",
        },
      ],
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
    await expect(runChecks(ws.dir, [{ name: '', command: 'true' }], { timeoutMs: 1000 })).rejects.toThrow(
      'commands[0].name',
    );
    await expect(runChecks(ws.dir, [{ name: 'x', command: ' ' }], { timeoutMs: 1000 })).rejects.toThrow(
      'commands[0].command',
    );
    await expect(runChecks(ws.dir, [], { timeoutMs: 0 })).rejects.toThrow('timeoutMs');
    await expect(
      runChecks(join(ws.dir, 'missing'), [{ name: 'x', command: 'true' }], { timeoutMs: 1000 }),
    ).rejects.toThrow(/dir ".*missing" is not a directory/);
  });

  describe('the host stays hidden', () => {
    it('cannot read a file outside the clone (a stand-in for .juggernaut/admin-key and db-roles.json)', async () => {
      const secretDir = join(scratch, '.juggernaut');
      execFileSync('mkdir', ['-p', secretDir]);
      writeFileSync(join(secretDir, 'admin-key'), 'jg_host-admin-key-must-stay-hidden-0123456789\n', { mode: 0o600 });
      writeFileSync(join(secretDir, 'db-roles.json'), '{"jg_ledger":"host-db-password-must-stay-hidden"}\n', {
        mode: 0o600,
      });
      const run = await runChecks(
        ws.dir,
        [
          {
            name: 'key',
            command: `cat ${join(secretDir, 'admin-key')}; ls ${secretDir}; cat ${join(secretDir, 'db-roles.json')}; cat /proc/1/root${join(secretDir, 'admin-key')}; exit 0`,
          },
          // the remote and other workspaces, beside the clone on the host, are absent too
          { name: 'siblings', command: `ls ${repo.remote} ${repo.root}/..; exit 0` },
          {
            name: 'etc',
            command:
              'for f in /etc/shadow /etc/hostname /root /home /var /srv; do test -e $f && echo "visible: $f"; done; exit 0',
          },
        ],
        { timeoutMs: 15_000 },
      );
      expect(run.ok).toBe(true);
      const out = run.results.map((r) => r.output).join('\n');
      expect(out).not.toContain('must-stay-hidden');
      expect(out).toMatch(/No such file or directory/);
      expect(out).not.toContain('admin-key\n');
      expect(out).not.toContain('visible:');
      expect(run.results[1]!.output).not.toContain('HEAD');
    });

    it('sees only its own processes in a fresh /proc', async () => {
      const run = await runChecks(
        ws.dir,
        [
          {
            name: 'ps',
            command: 'for p in /proc/[0-9]*; do printf "%s: " "${p#/proc/}"; tr "\\0" " " < $p/cmdline; echo; done',
          },
        ],
        { timeoutMs: 15_000 },
      );
      expect(run.ok).toBe(true);
      const lines = run.results[0]!.output.split('\n').filter((l) => /^\d+: /.test(l));
      // bwrap's init, prlimit's sh, the loop: nothing of the host (this test's own process included)
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThanOrEqual(6);
      expect(run.results[0]!.output).not.toContain('jest');
      expect(run.results[0]!.output).not.toContain(process.argv[1] ?? 'never-matches');
    });

    it('cannot write outside the clone, nor to the toolchain; writes to the clone stay', async () => {
      const outside = join(scratch, 'pwned');
      const run = await runChecks(
        ws.dir,
        [
          {
            name: 'out',
            command: `echo pwned > ${outside}; echo pwned > /usr/pwned; echo pwned > /etc/pwned; echo kept > src/kept.txt; echo tmp > /tmp/t && cat /tmp/t; exit 0`,
          },
        ],
        { timeoutMs: 15_000 },
      );
      expect(run.ok).toBe(true);
      expect(existsSync(outside)).toBe(false);
      expect(existsSync('/usr/pwned')).toBe(false);
      expect(existsSync('/etc/pwned')).toBe(false);
      expect(run.results[0]!.output).toMatch(/Read-only file system|No such file or directory/);
      expect(readFileSync(join(ws.dir, 'src/kept.txt'), 'utf8')).toBe('kept\n');
    });
  });

  describe('limits', () => {
    it('holds a process flood to the process limit, reports it, and leaves nothing running', async () => {
      // A bounded flood (a real fork bomb would hurt this shared machine if the limit failed), counted from
      // inside: node keeps going where a shell would stop at the first fork refused.
      await ws.write(
        'flood.js',
        [
          "const { spawn } = require('node:child_process');",
          'let started = 0;',
          "for (let i = 0; i < 300; i++) { const c = spawn('sleep', ['47'], { stdio: 'ignore' }); c.on('error', () => undefined); if (c.pid) started++; }",
          "setTimeout(() => { console.log('alive: ' + require('node:fs').readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).length + ', started: ' + started); process.exit(0); }, 500);",
        ].join('\n'),
      );
      const run = await runChecks(ws.dir, [{ name: 'flood', command: 'node flood.js' }], {
        timeoutMs: 30_000,
        limits: { processes: 40 },
      });
      const alive = Number(/alive: (\d+)/.exec(run.results[0]!.output)?.[1]);
      expect(alive).toBeGreaterThan(0);
      expect(alive).toBeLessThanOrEqual(40);
      expect(run.sandbox.enforcedBy.processes.length).toBeGreaterThan(0);
      if (run.sandbox.enforcedBy.processes.includes('cgroup')) {
        expect(run.results[0]!.limitsReached).toContain('processes');
        expect(run.results[0]!.output).toContain('process limit of 40 reached');
      }
      // the sleeps died with the check
      expect(
        execFileSync('sh', ['-c', 'ps -eo args | grep -c "^sleep 47$" || true'], { encoding: 'utf8' }).trim(),
      ).toBe('0');
    });

    it('stops an allocation past the memory limit and reports it', async () => {
      const script =
        "let n = 0; const keep = []; for (;;) { keep.push(Buffer.alloc(16 << 20, 1)); n += 16; console.log('allocated ' + n); }";
      await ws.write('alloc.js', script);
      const run = await runChecks(ws.dir, [{ name: 'alloc', command: 'node alloc.js' }], {
        timeoutMs: 60_000,
        limits: { memoryBytes: 256 * 1024 * 1024 },
      });
      const r = run.results[0]!;
      expect(r.ok).toBe(false);
      expect(r.timedOut).toBe(false);
      const most = Math.max(0, ...[...r.output.matchAll(/allocated (\d+)/g)].map((m) => Number(m[1])));
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThan(256);
      expect(r.output).toMatch(/allocation failed|out of memory|memory limit of 256 MiB reached/i);
      expect(run.sandbox.enforcedBy.memory).toContain('rlimit');
    });

    it('kills a process past its CPU seconds and reports it', async () => {
      const run = await runChecks(ws.dir, [{ name: 'spin', command: 'node -e "for (;;) {}"' }], {
        timeoutMs: 60_000,
        limits: { cpuSeconds: 1 },
      });
      const r = run.results[0]!;
      expect(r).toMatchObject({ ok: false, timedOut: false });
      expect(r.durationMs).toBeLessThan(30_000);
      expect(r.limitsReached).toContain('cpu');
      expect(r.output).toContain('CPU time limit of 1 s per process reached');
    });
  });

  it('refuses to run any check when the sandbox is unavailable, naming the reason', async () => {
    const attempt = runChecks(ws.dir, [{ name: 'would-run', command: 'touch ran-unsandboxed' }], {
      timeoutMs: 10_000,
      bwrapPath: join(scratch, 'no-such-bwrap'),
    });
    await expect(attempt).rejects.toBeInstanceOf(CheckSandboxError);
    await expect(attempt).rejects.toThrow(
      /check sandbox is not available: bubblewrap \(bwrap\) was not found at .*no-such-bwrap.*not run/,
    );
    expect(existsSync(join(ws.dir, 'ran-unsandboxed'))).toBe(false);
    // a bwrap that cannot make the namespaces is refused the same way
    const fake = join(scratch, 'broken-bwrap');
    writeFileSync(fake, '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n', {
      mode: 0o755,
    });
    await expect(
      runChecks(ws.dir, [{ name: 'would-run', command: 'touch ran-unsandboxed' }], {
        timeoutMs: 10_000,
        bwrapPath: fake,
      }),
    ).rejects.toThrow(/check sandbox is not available: .*No permissions to create new namespace/);
    expect(existsSync(join(ws.dir, 'ran-unsandboxed'))).toBe(false);
  });

  describe('network', () => {
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
      const run = await runChecks(ws.dir, [{ name: 'true', command: 'true' }], { timeoutMs: 10_000 });
      expect(run.network).toBe('loopback-only');
      expect(run.sandbox).toMatchObject({
        isolation: 'bubblewrap',
        network: 'loopback-only',
        limits: { timeoutMs: 10_000 },
      });
    });

    it('cannot reach an address beyond loopback, nor the host loopback', async () => {
      expect(hostAddress).not.toBe('');
      // The same connection from outside the sandbox works: the server is really there.
      expect(execFileSync('sh', ['-c', connect(hostAddress, port)], { encoding: 'utf8' })).toContain('connected');
      const run = await runChecks(ws.dir, [{ name: 'out', command: connect(hostAddress, port) }], {
        timeoutMs: 15_000,
      });
      expect(run.results[0]).toMatchObject({ ok: false, exitCode: 3 });
      expect(run.results[0]!.output).toMatch(/refused (ENETUNREACH|ECONNREFUSED|EHOSTUNREACH)/);
      const host = await runChecks(ws.dir, [{ name: 'host-lo', command: connect('127.0.0.1', port) }], {
        timeoutMs: 15_000,
      });
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
      const run = await runChecks(
        ws.dir,
        attempt.map((command, i) => ({ name: `tamper-${i}`, command: `${command}; echo wrote > src/ok.txt; exit 0` })),
        { timeoutMs: 15_000 },
      );
      expect(run.ok).toBe(true);
      expect(readFileSync(join(ws.dir, '.git/config'), 'utf8')).toBe(config);
      expect(readFileSync(join(ws.dir, '.git/HEAD'), 'utf8')).toBe(head);
      expect(existsSync(join(ws.dir, '.git/hooks/post-commit'))).toBe(false);
      expect(run.results.map((r) => r.output).join('\n')).toMatch(/Read-only file system/);
      expect(readFileSync(join(ws.dir, 'src/ok.txt'), 'utf8')).toBe('wrote\n');
    });

    it('can reach a server it starts on 127.0.0.1 (loopback is up)', async () => {
      const script = join(ws.dir, 'loop.js');
      writeFileSync(
        script,
        "const net = require('net');\nconst s = net.createServer((c) => c.end('pong')).listen(0, '127.0.0.1', () => {\n  net.connect(s.address().port, '127.0.0.1').on('data', (d) => { console.log('got ' + d); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(4); });\n});\n",
      );
      const run = await runChecks(ws.dir, [{ name: 'loop', command: 'node loop.js' }], { timeoutMs: 15_000 });
      expect(run.results[0]!.output).toContain('got pong');
      expect(run.ok).toBe(true);
    });
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
