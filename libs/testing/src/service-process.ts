import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Node's arguments that start a built service as its image does (docker/Dockerfile): the Node.js
 * options of apps/service.node.env, which the build puts beside main.js, then main.js.
 */
export function serviceArgs(app: string): string[] {
  const dir = join(root, 'dist', 'apps', app);
  return [`--env-file=${join(dir, 'service.node.env')}`, join(dir, 'main.js')];
}

/** A built service (dist/apps/<app>/main.js) running as its own process, as in production. */
export class ServiceProcess {
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(
    readonly app: string,
    /** HTTP_PORT: the API, for a service that has one (governance-api). */
    readonly port: number,
    /** METRICS_PORT: health and metrics, every service. */
    readonly metricsPort: number,
    readonly child: ChildProcess,
  ) {
    const collect = (d: Buffer) => this.output.push(...d.toString('utf8').split('\n').filter(Boolean));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(app: string, env: Record<string, string>): Promise<ServiceProcess> {
    const port = await freePort();
    let metricsPort = await freePort();
    while (metricsPort === port) metricsPort = await freePort();
    const child = spawn(process.execPath, serviceArgs(app), {
      env: {
        PATH: process.env['PATH'] ?? '',
        LOG_FORMAT: 'json',
        ...env,
        HTTP_PORT: String(port),
        METRICS_PORT: String(metricsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const svc = new ServiceProcess(app, port, metricsPort, child);
    await svc.ready();
    return svc;
  }

  /** Applies the app's migrations (`main.js migrate`). */
  static migrate(app: string, env: Record<string, string>): void {
    const r = spawnSync(process.execPath, [join(root, 'dist', 'apps', app, 'main.js'), 'migrate'], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${app} migrate failed: ${r.stderr || r.stdout}`);
  }

  /**
   * Resolves when /health/ready answers 200; fails at once if the process exits first. The wait is
   * generous because a suite may start several services while other suites load both cores.
   */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      try {
        if ((await fetch(`http://127.0.0.1:${this.metricsPort}/health/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.app} did not become ready:\n${this.output.slice(-20).join('\n')}`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export interface NatsServerOptions {
  /** A configuration file (`-c`); it must enable JetStream itself (with its own store_dir). */
  configFile?: string;
  /** Environment of the server, for the variables a configuration file refers to. */
  env?: Record<string, string>;
}

/** A throwaway nats-server with JetStream on a free port, for drills that restart the broker. */
export class NatsServerProcess {
  private child?: ChildProcess;
  /** The server's log lines (stderr), e.g. its permission violations. */
  readonly output: string[] = [];
  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly options: NatsServerOptions,
  ) {}

  static async start(storeDir: string, options: NatsServerOptions = {}): Promise<NatsServerProcess> {
    const srv = new NatsServerProcess(await freePort(), storeDir, options);
    await srv.restart();
    return srv;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const bin =
      process.env['NATS_SERVER_BIN'] ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
    const args = this.options.configFile
      ? ['-c', this.options.configFile, '-a', '127.0.0.1', '-p', String(this.port)]
      : ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    const child = spawn(bin, args, {
      env: { PATH: process.env['PATH'] ?? '', ...this.options.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => this.output.push(...d.toString('utf8').split('\n').filter(Boolean)));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: this.port });
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server did not start:\n${this.output.slice(-10).join('\n')}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }
}

/**
 * A throwaway Postgres server on a free port (Debian's binaries, run as the `postgres` user when the
 * tests run as root), for drills that stop, kill and restart the database — never the shared one.
 */
export class PostgresProcess {
  private child?: ChildProcess;
  readonly output: string[] = [];

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly bin: string,
  ) {}

  static async start(dataDir: string): Promise<PostgresProcess> {
    const bin = process.env['PG_BIN_DIR'] ?? postgresBinDir();
    const srv = new PostgresProcess(await freePort(), dataDir, bin);
    if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres', dataDir]);
    const init = srv.asOwner(join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    await srv.restart();
    return srv;
  }

  /** The URL of a database on this server (`postgres` unless named). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async restart(): Promise<void> {
    const args = [
      '-D',
      this.dataDir,
      '-p',
      String(this.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${this.dataDir}`,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ];
    // Run as the server's own user (Postgres refuses root), signalled directly: no wrapper in between.
    const child = spawn(join(this.bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...ownerIds() });
    child.stderr?.on('data', (d: Buffer) => this.output.push(...d.toString('utf8').split('\n').filter(Boolean)));
    this.child = child;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const r = spawnSync(join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port), '-q']);
      if (r.status === 0) return;
      await new Promise((r2) => setTimeout(r2, 50));
    }
    throw new Error(`postgres did not start:\n${this.output.slice(-10).join('\n')}`);
  }

  /** Stops the server: `SIGINT` is Postgres's fast shutdown, `SIGKILL` a crash (recovery at the next start). */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill(signal);
    });
    if (signal === 'SIGKILL') {
      // The postmaster's children outlive it for a moment; wait until the port is free again.
      for (
        let i = 0;
        i < 100 &&
        spawnSync(join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port), '-q']).status === 0;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private asOwner(cmd: string, args: string[]): ReturnType<typeof spawnSync> {
    return spawnSync(cmd, args, { encoding: 'utf8', ...ownerIds() });
  }
}

/** As root: the uid and gid of the `postgres` user, to run the server as; otherwise nothing (run as ourselves). */
function ownerIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error('running as root, but there is no postgres user to run a test Postgres as');
  return { uid, gid };
}

function postgresBinDir(): string {
  const r = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], { encoding: 'utf8' });
  const dir = r.stdout.trim();
  if (!dir) throw new Error('Postgres server binaries not found: install postgresql or set PG_BIN_DIR');
  return dir;
}
