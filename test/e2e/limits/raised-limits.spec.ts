/**
 * `limits` raised for a deployment whose proxies accept a large Cookie header (API.md section 5):
 * Node started with a matching `maxHeaderSize`, a 40 KB session spreads over many cookies, each
 * within the browser's per-cookie limit, and reads back intact.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { browserLimits, type ShrinkEvent } from '../../../src/index.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { setGetAppModule } from '../fixtures/set-get.controller.js';
import { byteLength, isDeletion, JarClient, lineName, lineValue } from './jar-client.js';

const SECRET = 'a-limits-test-secret-that-is-long-enough-0123';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const ATTRIBUTES = '; Path=/; HttpOnly; SameSite=Lax';
const DELETION =
  '=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';

type Data = Record<string, unknown>;
const events: ShrinkEvent[] = [];

const RaisedModule = setGetAppModule({
  secret: SECRET,
  // Responses raised too, so that the whole single value fits half of one: this is its test (a
  // session larger than half a response is a delta set, test/sample/format.spec.ts).
  limits: { maxTotalBytes: 60000, maxResponseHeaderBytes: 140000 },
  onShrink: (event) => events.push(event),
});

/** 40 KB of JSON that does not compress: ten 4 KB random strings. */
const fortyKb = (): Data =>
  Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`k${i}`, randomBytes(2994).toString('base64url')]),
  );

describe('limits raised to 60000 bytes, Node to 80000', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(RaisedModule, { maxHeaderSize: 80000 });
  });
  afterAll(() => running.close());

  it.each([
    ['Firefox', FIREFOX],
    ['an unknown browser', undefined],
  ])(
    'keeps a 40 KB session in at least ten cookies for %s, and reads it back',
    async (_, userAgent) => {
      events.length = 0;
      const limits = { ...browserLimits(userAgent), maxTotalBytes: 60000 };
      const client = new JarClient(running.url, { userAgent });
      const data = fortyKb();
      expect(byteLength(JSON.stringify(data))).toBeGreaterThanOrEqual(40000);
      const res = await client.post('/set', data);
      expect(res.status).toBe(201);
      expect(res.setCookies.length).toBeGreaterThanOrEqual(10);
      res.setCookies.forEach((line, i) => {
        expect(lineName(line)).toBe(i === 0 ? 'session' : `session.${i}`);
        expect(line.endsWith(ATTRIBUTES)).toBe(true);
        const size = limits.countsAttributes
          ? byteLength(line)
          : byteLength(lineName(line)) + byteLength(lineValue(line));
        // Every chunk but the last is full.
        if (i < res.setCookies.length - 1) expect(size).toBe(limits.maxCookieBytes);
        else expect(size).toBeLessThanOrEqual(limits.maxCookieBytes);
      });
      expect(lineValue(res.setCookies[0]!).startsWith(`${res.setCookies.length}.`)).toBe(true);
      expect(events).toEqual([]);
      const header = byteLength(await client.cookieHeader());
      expect(header).toBeGreaterThan(50000);
      expect(header).toBeLessThanOrEqual(60000);

      const read = await client.get('/get');
      expect(read.status).toBe(200);
      expect(read.json).toEqual(data);
      expect(read.setCookies).toEqual([]);

      // Back to a small session: the extra chunks are deleted in the same response.
      const small = await client.post('/set', { small: true });
      expect(small.setCookies[0]).toMatch(new RegExp(`^session=1\\.[A-Za-z0-9_-]+${ATTRIBUTES}$`));
      expect(small.setCookies.slice(1)).toEqual(
        res.setCookies.slice(1).map((line) => `${lineName(line)}${DELETION}`),
      );
      expect(small.setCookies.slice(1).every(isDeletion)).toBe(true);
      expect((await client.cookies()).map((c) => c.name)).toEqual(['session']);
      expect((await client.get('/get')).json).toEqual({ small: true });
    },
  );
});
