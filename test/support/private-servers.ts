/**
 * Servers a test owns, so that it can stop them (the machine's Redis and PostgreSQL are never
 * touched): a private redis-server and memcached as child processes on free loopback ports, and
 * a TCP proxy in front of the machine's PostgreSQL that can be closed and reopened; with the
 * bounded polling they need.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const HOST = '127.0.0.1';

const run = promisify(execFile);

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it holds; fails after `attempts` tries (a bound, not a timing). */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  attempts = 300,
  everyMs = 50,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts`);
}

/** Sends one inline command over the text protocol; the first reply line ('' when the server hangs up). */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    socket.setEncoding('utf8');
    socket.setTimeout(2000, () => socket.destroy(new Error('no reply')));
    socket.on('error', reject);
    socket.on('close', () => resolve(reply.split('\r\n', 1)[0]!)); // no-op once settled
    socket.on('data', (chunk: string) => {
      reply += chunk;
      const end = reply.indexOf('\r\n');
      if (end === -1) return;
      socket.destroy();
      resolve(reply.slice(0, end));
    });
    socket.write(`${line}\r\n`);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * A redis-server child process of the test's own, on a free loopback port. Nothing is saved
 * except by `stop()` (SHUTDOWN SAVE), so `start()` on the same port and directory brings the
 * data back.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  /** The process id of the running server. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async create(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(
      await freePort(),
      await mkdtemp(join(tmpdir(), 'private-redis-')),
    );
    await redis.start();
    return redis;
  }

  async start(): Promise<void> {
    // prettier-ignore
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', HOST, '--dir', this.dir, '--dbfilename', 'dump.rdb',
      '--save', '', '--appendonly', 'no', '--daemonize', 'no',
    ], { stdio: 'ignore' });
    child.on('error', () => undefined);
    this.child = child;
    await until(
      `redis-server on ${this.port}`,
      async () => (await command(this.port, 'PING')) === '+PONG',
    );
  }

  /** Stops the server the way an operator does (data saved), and waits for the process to end. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await command(this.port, 'SHUTDOWN SAVE').catch(() => undefined); // it hangs up on exit
    await exited(child);
    this.child = undefined;
  }

  /** Runs `redis-cli` against this server; its output, trimmed. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(this.port), ...args], {
      timeout: 5_000,
    });
    return stdout.trim();
  }

  /** Freezes the process: connections stay open and nothing answers. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** Kills the server (nothing saved) and removes its directory. */
  async dispose(): Promise<void> {
    const child = this.child;
    if (child) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited(child);
    }
    this.child = undefined;
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A memcached of the test's own (it keeps nothing across a restart). */
export class PrivateMemcached {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async create(): Promise<PrivateMemcached> {
    const memcached = new PrivateMemcached(await freePort());
    await memcached.start();
    return memcached;
  }

  async start(): Promise<void> {
    const args = ['-p', String(this.port), '-l', HOST, '-U', '0', '-m', '16'];
    if (process.getuid?.() === 0) args.push('-u', 'root');
    const child = spawn('memcached', args, { stdio: 'ignore' });
    child.on('error', () => undefined);
    this.child = child;
    await until(`memcached on ${this.port}`, async () =>
      (await command(this.port, 'version')).startsWith('VERSION'),
    );
  }

  /** Kills the process (a crash), and waits for it to end. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await exited(child);
    this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.kill();
  }
}

/**
 * A TCP proxy to the machine's PostgreSQL. `close()` stops listening and cuts every connection
 * (PostgreSQL "goes away" for the application); `open()` listens again on the same port.
 */
export class PostgresProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async create(target = { host: HOST, port: 5432 }): Promise<PostgresProxy> {
    const proxy = new PostgresProxy(await freePort(), target);
    await proxy.open();
    return proxy;
  }

  open(): Promise<void> {
    if (this.server) return Promise.resolve(); // already open
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, HOST, () => resolve());
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
