/**
 * Shared parts of the partition end-to-end specs: a Redis connection, a store wrapper that
 * counts calls, a private redis-server that a spec may stop and restart, a clock offset, a
 * logger that keeps what it is told, and a fixture controller that reads and writes fields.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { jest } from '@jest/globals';
import { Body, Controller, Get, Post, type LoggerService } from '@nestjs/common';
import { Redis } from 'ioredis';

import { Session, SessionHandle, type SessionStore } from '../../../src/index.js';
import type { BrowserResponse } from '../../support/browser.js';

export const SECRET = 'a-partition-test-secret-that-is-long-enough-0123456789';
export const HOST = '127.0.0.1';
export const REDIS_PORT = 6379;
export const REDIS_START =
  'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

const run = promisify(execFile);

export function randomId(): string {
  return randomBytes(6).toString('hex');
}

/** An ioredis client as the issue asks: connected first, no offline queue. */
export async function connectRedis(port = REDIS_PORT): Promise<Redis> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => undefined); // reported through the commands that fail
  await client.connect();
  return client;
}

/** Deletes every key matching `pattern` (SCAN, bounded by the keyspace). */
export async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

/** Every key matching `pattern`, sorted. */
export async function keysMatching(client: Redis, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) found.add(key);
  } while (cursor !== '0');
  return [...found].sort();
}

/**
 * A thin wrapper that delegates to a real store and writes down every call, as
 * `method:id`, so a test can say which requests wrote, touched or deleted what.
 */
export class CountingStore implements SessionStore {
  calls: string[] = [];
  touch?: (id: string, ttlSeconds: number) => Promise<void>;
  /** The TTL of every `set` and `touch`, in call order. */
  ttls: number[] = [];

  constructor(readonly inner: SessionStore) {
    if (inner.touch) {
      this.touch = (id, ttlSeconds) => {
        this.calls.push(`touch:${id}`);
        this.ttls.push(ttlSeconds);
        return inner.touch!(id, ttlSeconds);
      };
    }
  }

  get(id: string) {
    this.calls.push(`get:${id}`);
    return this.inner.get(id);
  }

  set(id: string, data: Record<string, unknown>, ttlSeconds: number) {
    this.calls.push(`set:${id}`);
    this.ttls.push(ttlSeconds);
    return this.inner.set(id, data, ttlSeconds);
  }

  destroy(id: string) {
    this.calls.push(`destroy:${id}`);
    return this.inner.destroy(id);
  }

  /** The calls since the last `take()`, and forgets them. */
  take(): string[] {
    const calls = this.calls;
    this.calls = [];
    this.ttls = [];
    return calls;
  }

  /** The calls of one method since the last `take()`, without their ids. */
  methods(): string[] {
    return this.calls.map((c) => c.slice(0, c.indexOf(':')));
  }
}

/** One error as Nest's `Logger` hands it on: the message, and the logger's context. */
export interface LoggedError {
  message: string;
  context: unknown;
}

/** A logger for `app.useLogger()` that keeps every warning and error. */
export class CaptureLogger implements LoggerService {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  /** The context of each entry of `errors` (a `Logger`'s context comes last). */
  readonly errorContexts: unknown[] = [];
  log(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.errors.push(String(message));
    this.errorContexts.push(rest.at(-1));
  }

  /** The errors logged since the last call, with their contexts; forgets them. */
  takeErrors(): LoggedError[] {
    const contexts = this.errorContexts.splice(0);
    return this.errors.splice(0).map((message, i) => ({ message, context: contexts[i] }));
  }
}

/**
 * Moves this process's clock forward (the engine and the Nest app run in the test's process),
 * so idle windows and `touchAfter` can pass without waiting. Real time keeps flowing; the
 * offset only ever grows, so sealed timestamps never lie in the future.
 */
export class ClockOffset {
  private offsetMs = 0;
  private readonly realNow = Date.now.bind(Date);

  install(): void {
    jest.spyOn(Date, 'now').mockImplementation(() => this.realNow() + this.offsetMs);
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  restore(): void {
    jest.restoreAllMocks();
  }
}

/** The names in a response's Set-Cookie lines, in order. */
export function setCookieNames(res: BrowserResponse): string[] {
  return res.setCookies.map((line) => line.slice(0, line.indexOf('=')));
}

/** The Set-Cookie line for one cookie name (exactly one must be there). */
export function setCookieLine(res: BrowserResponse, name: string): string {
  const lines = res.setCookies.filter((line) => line.startsWith(`${name}=`));
  if (lines.length !== 1) {
    throw new Error(`expected one Set-Cookie for ${name}, got ${JSON.stringify(res.setCookies)}`);
  }
  return lines[0]!;
}

/** Incompressible text: random hex of `length` characters. */
export function noise(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

/**
 * The fixture controller: reads the whole session, sets and removes fields by name (so the
 * partition that owns a field is chosen by the library, not by the handler), and calls the
 * handle's methods.
 */
@Controller()
export class FieldsController {
  @Get('read')
  read(@Session() session: Record<string, unknown>, @SessionHandle() handle: SessionHandle) {
    return { session, isNew: handle.isNew };
  }

  @Post('set')
  set(@Session() session: Record<string, unknown>, @Body() fields: Record<string, unknown>) {
    Object.assign(session, fields);
    return { ok: true };
  }

  @Post('unset')
  unset(@Session() session: Record<string, unknown>, @Body() keys: string[]) {
    for (const key of keys) delete session[key];
    return { ok: true };
  }

  @Post('login')
  login(
    @Session() session: Record<string, unknown>,
    @SessionHandle() handle: SessionHandle,
    @Body() fields: Record<string, unknown>,
  ) {
    handle.regenerate();
    Object.assign(session, fields);
    return { ok: true };
  }

  @Post('regenerate')
  regenerate(@SessionHandle() handle: SessionHandle) {
    handle.regenerate();
    return { ok: true };
  }

  @Post('touch')
  touch(@SessionHandle() handle: SessionHandle) {
    handle.touch();
    return { ok: true };
  }

  @Post('destroy')
  destroy(@SessionHandle() handle: SessionHandle) {
    handle.destroy();
    return { ok: true };
  }
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `check` every 100 ms until it holds; fails after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * A redis-server child process of this spec's own, on a free loopback port, so that a test may
 * stop it (the machine's Redis on 6379 is never touched). `stop()` saves its data first
 * (SHUTDOWN SAVE), so `start()` on the same port and directory brings the sessions back.
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
    const dir = await mkdtemp(join(tmpdir(), 'partitions-redis-'));
    const redis = new PrivateRedis(await freePort(), dir);
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
      `redis-server on port ${this.port}`,
      async () => (await this.cli('ping')) === 'PONG',
    );
  }

  /** Saves and stops the server, and waits until the process has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await this.cli('shutdown', 'save').catch(() => undefined); // the connection drops on exit
    await exited;
    this.child = undefined;
  }

  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(this.port), ...args], {
      timeout: 5_000,
    });
    return stdout.trim();
  }

  /** Stops the server (without saving) and removes its directory. */
  async dispose(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    this.child = undefined;
    await rm(this.dir, { recursive: true, force: true });
  }
}
