/**
 * Shrinking end to end through a Nest application (API.md section 3): `@Shrinker()` methods on
 * providers of two feature modules are found at start-up, and called in the order of the four
 * phases, with `last` only in phase 3, stopping as soon as the session fits; `onShrink` gets one
 * event per shrunk partition per response, and the module's logger names the keys.
 *
 * The budget is fixed by `limits` so that a session fits exactly when its JSON is at most
 * FITS bytes (checked to the byte by the first test); every scenario below states the sizes
 * it goes through, and checks them against FITS, so the expected calls follow from the rules.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Shrinker, type ShrinkContext, type ShrinkEvent } from '../../../src/index.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { setGetAppModule } from '../fixtures/set-get.controller.js';
import { byteLength, isDeletion, JarClient, lineName, lineValue } from '../limits/jar-client.js';
import { CaptureLogger } from '../../support/capture-logger.js';

const SECRET = 'a-shrink-test-secret-that-is-long-enough-012';
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
/** One cookie `session=1.<sealed>` of at most 1500 bytes: the sealed value at most 1490 characters. */
const MAX_TOTAL = 1500;
/** AES-GCM adds 33 bytes and the envelope 9; base64url of 1117 bytes is 1490 characters. */
const FITS = 1075;
const DELETION =
  '=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';

type Data = Record<string, unknown>;

interface Call {
  key: string;
  last: boolean;
  /** Keys of `ctx.session` when called. */
  sees: string[];
  frozen: boolean;
}
const calls: Call[] = [];
const events: ShrinkEvent[] = [];
const record = (key: string, ctx: ShrinkContext): void => {
  calls.push({
    key,
    last: ctx.last,
    sees: Object.keys(ctx.session),
    frozen: Object.isFrozen(ctx.session),
  });
};

/** Drops the oldest entry while there are two or more; never removes the key itself. */
const dropOldest = (list: string[], last: boolean): string[] =>
  last || list.length < 2 ? list : list.slice(1);

@Injectable()
class CartShrinkers {
  /** Asynchronous: answers on a later turn of the event loop. */
  @Shrinker('alpha', { priority: 5 })
  async alpha(list: string[], ctx: ShrinkContext): Promise<string[]> {
    record('alpha', ctx);
    await new Promise((resolve) => setImmediate(resolve));
    return dropOldest(list, ctx.last);
  }

  /** Gives nothing in phase 1; cuts to 750 characters when it is the last chance. */
  @Shrinker('beta', { priority: 5 })
  beta(text: string, ctx: ShrinkContext): string {
    record('beta', ctx);
    return ctx.last ? text.slice(0, 750) : text;
  }
}

@Module({ providers: [CartShrinkers] })
class CartModule {}

/** In another module; the lowest priority, so shrunk (and removed) first although named last. */
@Injectable()
class HistoryShrinkers {
  @Shrinker('zeta', { priority: -1 })
  zeta(list: string[], ctx: ShrinkContext): string[] {
    record('zeta', ctx);
    return dropOldest(list, ctx.last);
  }
}

@Module({ providers: [HistoryShrinkers] })
class HistoryModule {}

/** `x-unlimited` lifts the total so that a session is written unshrunk (to measure bytesBefore). */
const limits = (req: IncomingMessage) => ({
  maxCookieBytes: 4096,
  countsAttributes: false,
  maxCookies: 180,
  maxTotalBytes: req.headers['x-unlimited'] ? 100000 : MAX_TOTAL,
});

const ShrinkAppModule = setGetAppModule(
  { secret: SECRET, limits, onShrink: (e) => events.push(e) },
  { imports: [CartModule, HistoryModule] },
);

const bytesOf = (data: unknown): number => byteLength(JSON.stringify(data));
const repeat = (c: string, n: number) => c.repeat(n);
const list = (c: string, count: number) => Array.from({ length: count }, () => repeat(c, 200));
/** Name + value of the cookies a response writes, summed. */
const pairBytes = (lines: string[]): number =>
  lines
    .filter((line) => !isDeletion(line))
    .reduce((sum, line) => sum + byteLength(lineName(line)) + byteLength(lineValue(line)), 0);

describe('shrinking through a Nest application', () => {
  let running: RunningApp;
  const logger = new CaptureLogger();
  beforeAll(async () => {
    running = await startNestApp(ShrinkAppModule, { configure: (app) => app.useLogger(logger) });
  });
  afterAll(() => running.close());
  beforeEach(() => {
    calls.length = 0;
    events.length = 0;
    logger.clear();
  });

  /** A fresh browser writes `data`; returns the response. */
  async function write(data: Data, client = new JarClient(running.url, { userAgent: UA })) {
    const res = await client.post('/set', data);
    expect(res.status).toBe(201);
    return { res, client };
  }

  /** bytesBefore as the contract defines it: the unshrunk data's cookies, name + value, summed. */
  async function unshrunkBytes(data: Data): Promise<number> {
    const client = new JarClient(running.url, { userAgent: UA });
    const res = await client.post('/set', data, { headers: { 'x-unlimited': '1' } });
    return pairBytes(res.setCookies);
  }

  /** The one event of a write of `data` shrunk to the cookies of `res`. */
  async function shrunkEvent(
    data: Data,
    res: { setCookies: string[] },
    shrunkKeys: string[],
    removedKeys: string[],
  ): Promise<ShrinkEvent> {
    return {
      cookieName: 'session',
      userAgent: UA,
      bytesBefore: await unshrunkBytes(data),
      bytesAfter: pairBytes(res.setCookies),
      shrunkKeys,
      removedKeys,
    };
  }

  it('fits a session of FITS bytes of JSON in exactly the 1500-byte budget, and not one byte more', async () => {
    const exact = { pad: repeat('p', FITS - 10) };
    expect(bytesOf(exact)).toBe(FITS);
    const { res, client } = await write(exact);
    expect(res.setCookies).toHaveLength(1);
    expect(byteLength(await client.cookieHeader())).toBe(MAX_TOTAL);
    expect(events).toEqual([]);

    const over = { pad: repeat('p', FITS - 9) };
    const shrunk = await write(over);
    expect(shrunk.res.setCookies).toEqual([]);
    expect(events.map((e) => e.removedKeys)).toEqual([['pad']]);
  });

  it('phase 1 only: lowest priority first, ties by key name, stopping as soon as it fits', async () => {
    const data = {
      zeta: list('z', 4),
      alpha: list('a', 2),
      beta: repeat('b', 100),
      noA: repeat('n', 50),
    };
    // 1407 bytes; zeta drops one (1204, still over), then alpha drops one (1001): fits.
    expect(bytesOf(data)).toBe(1407);
    expect(bytesOf({ ...data, zeta: list('z', 3) })).toBeGreaterThan(FITS);
    const result = { ...data, zeta: list('z', 3), alpha: list('a', 1) };
    expect(bytesOf(result)).toBeLessThanOrEqual(FITS);

    const { res, client } = await write(data);
    expect(calls.map((c) => [c.key, c.last])).toEqual([
      ['zeta', false],
      ['alpha', false],
    ]);
    expect(calls.every((c) => c.frozen)).toBe(true);
    expect(calls[0]!.sees).toEqual(['zeta', 'alpha', 'beta', 'noA']);
    expect(events).toEqual([await shrunkEvent(data, res, ['zeta', 'alpha'], [])]);
    expect(events[0]!.bytesBefore).toBeGreaterThan(events[0]!.bytesAfter);
    expect((await client.get('/get')).json).toEqual(result);
    expect(logger.of('ChunkedSession')).toEqual([
      {
        level: 'warn',
        message: `the session cookie "session" did not fit (${events[0]!.bytesBefore} → ${events[0]!.bytesAfter} bytes); shrunk: zeta, alpha`,
        context: 'ChunkedSession',
      },
    ]);
  });

  it('phase 2: after a round that makes nothing smaller, keys without a shrinker go, largest first', async () => {
    const data = {
      zeta: list('z', 1),
      alpha: list('a', 1),
      beta: repeat('b', 100),
      noA: repeat('n', 400),
      noB: repeat('m', 500),
    };
    // 1454 bytes. Removing noB (the largest) fits; so would removing noA: the order decides.
    expect(bytesOf(data)).toBe(1454);
    const { noB: _b, ...withoutB } = data;
    const { noA: _a, ...withoutA } = data;
    expect(bytesOf(withoutB)).toBeLessThanOrEqual(FITS);
    expect(bytesOf(withoutA)).toBeLessThanOrEqual(FITS);

    const { res, client } = await write(data);
    expect(calls.map((c) => [c.key, c.last])).toEqual([
      ['zeta', false],
      ['alpha', false],
      ['beta', false],
    ]);
    expect(events).toEqual([await shrunkEvent(data, res, [], ['noB'])]);
    expect((await client.get('/get')).json).toEqual(withoutB);
    expect(logger.of('ChunkedSession').map((e) => [e.level, e.message])).toEqual([
      [
        'warn',
        expect.stringMatching(
          /^the session cookie "session" did not fit \(\d+ → \d+ bytes\); removed: noB$/,
        ),
      ],
    ]);
  });

  it('phase 3: shrinkers again with last: true, only for keys still there', async () => {
    const data = { alpha: list('a', 1), beta: repeat('b', 1200) };
    expect(bytesOf(data)).toBeGreaterThan(FITS);
    const result = { alpha: list('a', 1), beta: repeat('b', 750) };
    expect(bytesOf(result)).toBeLessThanOrEqual(FITS);

    const { client } = await write(data);
    expect(calls.map((c) => [c.key, c.last])).toEqual([
      ['alpha', false],
      ['beta', false],
      ['alpha', true],
      ['beta', true],
    ]);
    expect(events.map((e) => [e.shrunkKeys, e.removedKeys])).toEqual([[['beta'], []]]);
    expect((await client.get('/get')).json).toEqual(result);
  });

  it('all four phases in order; a key shrunk and later removed is in both lists', async () => {
    const data = {
      zeta: list('z', 2),
      alpha: list('a', 2),
      beta: repeat('b', 900),
      noA: repeat('n', 100),
      noB: repeat('m', 150),
    };
    // Phase 1: two rounds (the second makes nothing smaller). Phase 2: noB, noA. Phase 3: beta
    // cut to 750. Phase 4: zeta (priority -1) removed first, and then it fits.
    const afterPhase1 = { ...data, zeta: list('z', 1), alpha: list('a', 1) };
    const afterPhase2 = { zeta: list('z', 1), alpha: list('a', 1), beta: repeat('b', 900) };
    const afterPhase3 = { ...afterPhase2, beta: repeat('b', 750) };
    const result = { alpha: list('a', 1), beta: repeat('b', 750) };
    for (const state of [data, afterPhase1, afterPhase2, afterPhase3]) {
      expect(bytesOf(state)).toBeGreaterThan(FITS);
    }
    expect(bytesOf(result)).toBeLessThanOrEqual(FITS);

    const { res, client } = await write(data);
    expect(calls.map((c) => [c.key, c.last])).toEqual([
      ['zeta', false],
      ['alpha', false],
      ['beta', false],
      ['zeta', false],
      ['alpha', false],
      ['beta', false],
      ['zeta', true],
      ['alpha', true],
      ['beta', true],
    ]);
    // The shrinkers see the data being shrunk: all of it in phase 1, what is left in phase 3.
    expect(calls[0]!.sees).toEqual(['zeta', 'alpha', 'beta', 'noA', 'noB']);
    expect(calls[6]!.sees).toEqual(['zeta', 'alpha', 'beta']);
    expect(calls.every((c) => c.frozen)).toBe(true);
    expect(events).toEqual([
      await shrunkEvent(data, res, ['zeta', 'alpha', 'beta'], ['noB', 'noA', 'zeta']),
    ]);
    expect(res.setCookies).toHaveLength(1);
    expect((await client.get('/get')).json).toEqual(result);
    const [warning] = logger.of('ChunkedSession');
    expect(warning).toEqual({
      level: 'warn',
      message: `the session cookie "session" did not fit (${events[0]!.bytesBefore} → ${events[0]!.bytesAfter} bytes); shrunk: zeta, alpha, beta; removed: noB, noA, zeta`,
      context: 'ChunkedSession',
    });
    expect(logger.of('ChunkedSession')).toHaveLength(1);
  });

  it("deletes the cookies when not even an empty session fits beside the site's other cookies", async () => {
    const client = new JarClient(running.url, { userAgent: UA });
    await write({ small: 1 }, client);
    expect((await client.cookies()).map((c) => c.name)).toEqual(['session']);
    calls.length = 0;
    events.length = 0;
    // 'other=' + 1495 bytes: 1501 bytes, over the 1500-byte total on its own.
    await client.plant('other', repeat('o', 1495));

    const data = {
      zeta: list('z', 4),
      alpha: list('a', 2),
      beta: repeat('b', 100),
      noA: repeat('n', 50),
    };
    const res = await client.post('/set', data);
    expect(res.status).toBe(201);
    expect(res.setCookies).toEqual([`session${DELETION}`]);
    expect((await client.cookies()).map((c) => c.name)).toEqual(['other']);
    expect(calls.map((c) => `${c.key}${c.last ? '!' : ''}`)).toEqual([
      // phase 1: zeta 4 → 3 → 2 → 1, alpha 2 → 1; the fourth round makes nothing smaller
      'zeta',
      'alpha',
      'beta',
      'zeta',
      'alpha',
      'beta',
      'zeta',
      'alpha',
      'beta',
      'zeta',
      'alpha',
      'beta',
      // phase 3 (phase 2 removed noA)
      'zeta!',
      'alpha!',
      'beta!',
    ]);
    expect(events).toEqual([
      {
        cookieName: 'session',
        userAgent: UA,
        bytesBefore: await unshrunkBytes(data),
        bytesAfter: 0,
        shrunkKeys: ['zeta', 'alpha'],
        // phase 2, then phase 4: lowest priority first, ties (alpha, beta at 5) by name
        removedKeys: ['noA', 'zeta', 'alpha', 'beta'],
      },
    ]);
    expect(logger.of('ChunkedSession').map((e) => [e.level, e.message])).toEqual([
      [
        'warn',
        `the session cookie "session" did not fit (${events[0]!.bytesBefore} → 0 bytes); shrunk: zeta, alpha; removed: noA, zeta, alpha, beta`,
      ],
      [
        'error',
        'the session cookie "session" does not fit even empty: the request\'s other cookies fill the budget (180 cookies, 1500 bytes, 4096 bytes of response headers); its cookies were deleted',
      ],
    ]);
    // Nothing is read, and a later response writes nothing more.
    const read = await client.get('/get');
    expect(read.json).toEqual({});
    expect(read.setCookies).toEqual([]);
  });

  it('sends no event and logs nothing when the session fits', async () => {
    const { res } = await write({ small: repeat('s', 500) });
    expect(res.setCookies).toHaveLength(1);
    expect(calls).toEqual([]);
    expect(events).toEqual([]);
    expect(logger.of('ChunkedSession')).toEqual([]);
  });
});
