/**
 * Shared parts of the partition end-to-end specs: a store wrapper that counts calls, a clock
 * offset and a fixture controller that reads and writes fields; and, from test/support, a Redis
 * connection, the logger that keeps what it is told and the private redis-server that a spec may
 * stop and restart.
 */
import { randomBytes } from 'node:crypto';

import { jest } from '@jest/globals';
import { Body, Controller, Get, Post } from '@nestjs/common';
import type { Redis } from 'ioredis';

import { Session, SessionHandle, type SessionStore } from '../../../src/index.js';
import type { BrowserResponse } from '../../support/browser.js';

export { CaptureLogger, type LoggedError } from '../../support/capture-logger.js';
export { freePort, HOST, PrivateRedis, until } from '../../support/private-servers.js';
export { connectRedis, deleteKeys } from '../../support/redis.js';

export const SECRET = 'a-partition-test-secret-that-is-long-enough-0123456789';
export const REDIS_PORT = 6379;
export const REDIS_START =
  'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

export function randomId(): string {
  return randomBytes(6).toString('hex');
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
