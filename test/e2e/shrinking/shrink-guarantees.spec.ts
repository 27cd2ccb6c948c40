/**
 * What shrinking promises, end to end through a Nest application and a tough-cookie jar (issue 14
 * and `ShrinkContext.overBy`): with `compress`, data that fits once deflated is kept; a shrinker
 * that never settles is skipped after `shrinkerTimeout` and logged, and the response arrives; a
 * failing shrinker and a failing `onShrink` are logged with their stack; `overBy` is the exact
 * number of JSON bytes to give up, so that one call is enough.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  Shrinker,
  type ChunkedSessionOptions,
  type ShrinkContext,
  type ShrinkEvent,
} from '../../../src/index.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { setGetAppModule } from '../fixtures/set-get.controller.js';
import { byteLength, isDeletion, JarClient, lineName } from '../limits/jar-client.js';

const SECRET = 'a-shrink-guarantees-test-secret-long-enough-01';
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
/** One cookie of at most 1500 bytes (a session fits when its JSON is at most `fits` bytes). */
const limits1500 = (_req: IncomingMessage) => ({
  maxCookieBytes: 4096,
  countsAttributes: false,
  maxCookies: 180,
  maxTotalBytes: 1500,
});

const bytesOf = (data: unknown): number => byteLength(JSON.stringify(data));
const events: ShrinkEvent[] = [];
const overBySeen: number[] = [];
let hangingCalls = 0;

/** Fails the test (instead of waiting for Jest's timeout) when a response does not come. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no response within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

@Injectable()
class HangingShrinkers {
  /** Never answers. */
  @Shrinker('pending')
  pending(): Promise<never> {
    hangingCalls++;
    return new Promise<never>(() => {});
  }
}
@Module({ providers: [HangingShrinkers] })
class HangingModule {}

@Injectable()
class BrokenShrinkers {
  @Shrinker('fragile')
  explode(): never {
    throw new Error('fragile shrinker failed on purpose');
  }
}
@Module({ providers: [BrokenShrinkers] })
class BrokenModule {}

@Injectable()
class HistoryShrinkers {
  /** The README's example: as many of the oldest entries as `overBy` asks for, in one call. */
  @Shrinker('history')
  dropOldest(list: string[], { last, overBy }: ShrinkContext): string[] | undefined {
    overBySeen.push(overBy);
    if (last) return undefined;
    let drop = 0;
    for (let bytes = 0; bytes < overBy && drop < list.length - 1; drop++) {
      bytes += Buffer.byteLength(list[drop]!) + 3; // its quotes and comma
    }
    return drop === 0 ? list : list.slice(drop);
  }
}
@Module({ providers: [HistoryShrinkers] })
class HistoryModule {}

function failingOnShrink(): void {
  throw new Error('onShrink failed on purpose');
}

const apps: Record<string, { options: Partial<ChunkedSessionOptions>; imports?: unknown[] }> = {
  compress: { options: { compress: true } },
  hanging: { options: { limits: limits1500, shrinkerTimeout: 100 }, imports: [HangingModule] },
  hangingDefault: { options: { limits: limits1500 }, imports: [HangingModule] },
  broken: { options: { limits: limits1500, onShrink: failingOnShrink }, imports: [BrokenModule] },
  history: { options: { limits: limits1500 }, imports: [HistoryModule] },
};

describe('shrinking guarantees through a Nest application', () => {
  const running: Record<string, RunningApp> = {};
  const logger = new CaptureLogger();
  beforeAll(async () => {
    for (const [name, { options, imports }] of Object.entries(apps)) {
      const module = setGetAppModule(
        { secret: SECRET, onShrink: (e) => events.push(e), ...options },
        { imports: (imports ?? []) as never[] },
      );
      running[name] = await startNestApp(module, { configure: (app) => app.useLogger(logger) });
    }
  });
  afterAll(async () => {
    for (const app of Object.values(running)) await app.close();
  });
  beforeEach(() => {
    events.length = 0;
    overBySeen.length = 0;
    hangingCalls = 0;
    logger.clear();
  });

  it('compress: once a 30 000-character random token is removed, 1 000 repeated paths that deflate to ~140 bytes are kept', async () => {
    const paths = Array.from(
      { length: 1000 },
      (_, i) => `/account/orders/${i % 4 ? 'all' : 'recent'}`,
    );
    const data = { token: randomBytes(22500).toString('base64url'), paths };
    expect(data.token).toHaveLength(30000);
    const client = new JarClient(running.compress!.url, { userAgent: CHROME });
    const res = await client.post('/set', data);
    expect(res.status).toBe(201);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ shrunkKeys: [], removedKeys: ['token'] });
    expect(res.setCookies.filter((l) => !isDeletion(l)).map(lineName)).toEqual(['session']);
    expect(byteLength(await client.cookieHeader())).toBeLessThan(400);
    expect((await client.get('/get')).json).toEqual({ paths });
  });

  it('a shrinker that never settles is skipped after shrinkerTimeout (100 ms), logged once, and the responses arrive', async () => {
    // Phase 1 skips `pending` after 100 ms; phase 2 removes `pad` (no shrinker), and that fits.
    const data = { pending: 'p'.repeat(500), pad: 'x'.repeat(1000) };
    const client = new JarClient(running.hanging!.url, { userAgent: FIREFOX });
    const res = await within(3000, client.post('/set', data));
    expect(res.status).toBe(201);
    expect(hangingCalls).toBe(1);
    expect(logger.takeErrors()).toEqual([
      {
        message:
          'a shrinker of "pending" failed and was skipped: it did not answer within 100 ms (shrinkerTimeout)',
        context: 'ChunkedSession',
      },
    ]);
    expect(events).toMatchObject([{ shrunkKeys: [], removedKeys: ['pad'] }]);
    expect((await within(3000, client.get('/get'))).json).toEqual({ pending: data.pending });
  });

  it('without shrinkerTimeout, a shrinker that never settles is skipped after 1000 ms', async () => {
    const client = new JarClient(running.hangingDefault!.url, { userAgent: FIREFOX });
    const res = await within(4000, client.post('/set', { pending: 'p'.repeat(2000) }));
    expect(res.status).toBe(201);
    expect(hangingCalls).toBe(1); // not called again in phase 3, where it would hang again
    expect(logger.takeErrors().map((e) => e.message)).toEqual([
      'a shrinker of "pending" failed and was skipped: it did not answer within 1000 ms (shrinkerTimeout)',
    ]);
    expect(events).toMatchObject([{ removedKeys: ['pending'] }]);
  });

  it('a shrinker that throws and an onShrink that throws are logged with their stack', async () => {
    const client = new JarClient(running.broken!.url, { userAgent: FIREFOX });
    const res = await client.post('/set', { fragile: 'f'.repeat(2000) });
    expect(res.status).toBe(201);
    const errors = logger.takeErrors().map((e) => e.message);
    // Phase 1 and phase 3 each call it once; then onShrink, once.
    expect(errors).toHaveLength(3);
    for (const message of errors.slice(0, 2)) {
      expect(message).toMatch(
        /^a shrinker of "fragile" failed and was skipped: Error: fragile shrinker failed on purpose\n {4}at BrokenShrinkers\.explode \(.*shrink-guarantees\.spec\.ts:\d+:\d+\)\n/,
      );
    }
    expect(errors[2]).toMatch(
      /^onShrink threw: Error: onShrink failed on purpose\n {4}at failingOnShrink \(.*shrink-guarantees\.spec\.ts:\d+:\d+\)\n/,
    );
    expect((await client.get('/get')).json).toEqual({});
  });

  it('overBy is the exact number of JSON bytes over, and giving that up fits in one call', async () => {
    // The largest JSON written unshrunk under the 1500 bytes, found by asking the application
    // (it depends on the seal's overhead: 1075 bytes with format v1's AES-GCM).
    let fitting = 0;
    let over = 1500;
    while (over - fitting > 1) {
      const mid = (fitting + over) >> 1;
      events.length = 0;
      await new JarClient(running.history!.url, { userAgent: FIREFOX }).post('/set', {
        p: 'p'.repeat(mid - 8), // {"p":"…"}: 8 bytes besides
      });
      if (events.length === 0) fitting = mid;
      else over = mid;
    }
    const FITS = fitting;
    expect(FITS).toBeGreaterThan(1000);
    events.length = 0;
    const history = Array.from({ length: 60 }, (_, i) => `/products/item-${100000 + i}/blue`);
    const data = { user: { id: 7, name: 'Ada' }, history };
    expect(bytesOf(data)).toBeGreaterThan(FITS);
    const client = new JarClient(running.history!.url, { userAgent: FIREFOX });
    const res = await client.post('/set', data);
    expect(res.status).toBe(201);
    expect(overBySeen).toEqual([bytesOf(data) - FITS]);
    // The most recent entries that fit, and not one more.
    let kept = history.length;
    while (bytesOf({ ...data, history: history.slice(history.length - kept) }) > FITS) kept--;
    const expected = { ...data, history: history.slice(history.length - kept) };
    expect(events).toMatchObject([{ shrunkKeys: ['history'], removedKeys: [] }]);
    expect((await client.get('/get')).json).toEqual(expected);
    expect(byteLength(await client.cookieHeader())).toBeLessThanOrEqual(1500);
  });
});
