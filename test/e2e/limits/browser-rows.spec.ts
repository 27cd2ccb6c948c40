/**
 * Every row of the browser table, end to end: a request's User-Agent picks the per-cookie rule
 * (name + value, or the whole Set-Cookie value), the cookie count and the total, and the site's
 * other cookies count against the count and the total (API.md section 5).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { browserLimits, type ShrinkEvent } from '../../../src/index.js';
import { BROWSER_FAMILIES, browserFamily, type BrowserFamily } from '../../../src/limits/index.js';
import { USER_AGENTS } from '../../unit/limits/user-agents.fixture.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { SCRIPT_COOKIE_HEADROOM } from '../../../src/core/allowance.js';
import { setGetAppModule } from '../fixtures/set-get.controller.js';
import { byteLength, isDeletion, JarClient, lineName, lineValue } from './jar-client.js';

const SECRET = 'a-limits-test-secret-that-is-long-enough-0123';
const ATTRIBUTES = '; Path=/; HttpOnly; SameSite=Lax';
const DELETION =
  '=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';

type Data = Record<string, unknown>;
const events: ShrinkEvent[] = [];

/**
 * The response side is not what these tests are about: its budget is raised so that one
 * response may carry a whole two-cookie session (`response-budget.spec.ts` tests the default).
 */
const RowsModule = setGetAppModule({
  secret: SECRET,
  limits: { maxResponseHeaderBytes: 32768 },
  onShrink: (event) => events.push(event),
});

/** One real User-Agent per family of the table (those the fixture has). */
const ROWS: [BrowserFamily, string][] = BROWSER_FAMILIES.flatMap((family) => {
  const ua = USER_AGENTS.find(([, agent, f]) => f === family && /^[ -~]+$/.test(agent))?.[1];
  return ua === undefined ? [] : [[family, ua] as [BrowserFamily, string]];
});

/** A session that needs two cookies in every row (about 5.4 KB sealed), with room to spare in 8000. */
const twoChunkSession = (): Data => ({ big: randomBytes(2989).toString('base64url'), small: 'hi' });

/** What the per-cookie rule measures of a Set-Cookie line. */
const measured = (line: string, countsAttributes: boolean): number =>
  countsAttributes ? byteLength(line) : byteLength(lineName(line)) + byteLength(lineValue(line));

describe('browser table rows, end to end', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(RowsModule, { maxHeaderSize: 64 * 1024 });
  });
  afterAll(() => running.close());
  beforeEach(() => {
    events.length = 0;
  });

  it('has a User-Agent for the rows that matter', () => {
    const families = ROWS.map(([family]) => family);
    for (const family of ['chromium', 'firefox', 'webkit', 'ie', 'unknown'] as const) {
      expect(families).toContain(family);
    }
    for (const [family, ua] of ROWS) expect(browserFamily(ua)).toBe(family);
  });

  describe.each(ROWS)('%s', (family, userAgent) => {
    const limits = browserLimits(userAgent);

    it('fills every cookie but the last to exactly the per-cookie limit, and reads back', async () => {
      const client = new JarClient(running.url, { userAgent });
      const data = twoChunkSession();
      const res = await client.post('/set', data);
      expect(res.status).toBe(201);
      expect(res.setCookies).toHaveLength(2);
      const [first, second] = res.setCookies as [string, string];
      expect(first).toMatch(new RegExp(`^session=2\\.[A-Za-z0-9_-]+${ATTRIBUTES}$`));
      expect(second).toMatch(new RegExp(`^session\\.1=[A-Za-z0-9_-]+${ATTRIBUTES}$`));
      expect(measured(first, limits.countsAttributes)).toBe(limits.maxCookieBytes);
      expect(measured(second, limits.countsAttributes)).toBeLessThan(limits.maxCookieBytes);
      expect(byteLength(await client.cookieHeader())).toBeLessThanOrEqual(limits.maxTotalBytes);
      expect(events).toEqual([]);

      const read = await client.get('/get');
      expect(read.json).toEqual(data);
      expect(read.setCookies).toEqual([]);
    });

    it("counts the site's other cookies against maxCookies, to the exact cookie", async () => {
      // Room for two cookies: the session takes both and the site is full.
      const roomy = new JarClient(running.url, { userAgent });
      for (let i = 0; i < limits.maxCookies - 2; i++) await roomy.plant(`f${i}`, '1');
      const data = twoChunkSession();
      const fits = await roomy.post('/set', data);
      expect(fits.setCookies.map(lineName)).toEqual(['session', 'session.1']);
      expect(await roomy.cookies()).toHaveLength(limits.maxCookies);
      expect(events).toEqual([]);
      expect((await roomy.get('/get')).json).toEqual(data);

      // Room for one: `big` goes (no shrinker: phase 2), `small` stays in one cookie.
      const tight = new JarClient(running.url, { userAgent });
      for (let i = 0; i < limits.maxCookies - 1; i++) await tight.plant(`f${i}`, '1');
      const shrunk = await tight.post('/set', data);
      expect(shrunk.setCookies).toHaveLength(1);
      expect(shrunk.setCookies[0]).toMatch(new RegExp(`^session=1\\.[A-Za-z0-9_-]+${ATTRIBUTES}$`));
      expect(await tight.cookies()).toHaveLength(limits.maxCookies);
      expect(events).toHaveLength(1);
      expect(events[0]).toEqual({
        cookieName: 'session',
        userAgent,
        bytesBefore: fits.setCookies.reduce(
          (sum, line) => sum + byteLength(lineName(line)) + byteLength(lineValue(line)),
          0,
        ),
        bytesAfter: byteLength('session') + byteLength(lineValue(shrunk.setCookies[0]!)),
        shrunkKeys: [],
        removedKeys: ['big'],
      });
      expect((await tight.get('/get')).json).toEqual({ small: 'hi' });
    });

    it("counts the site's other cookies against maxTotalBytes, to the exact byte", async () => {
      const data = twoChunkSession();
      const alone = new JarClient(running.url, { userAgent });
      await alone.post('/set', data);
      const sessionHeader = byteLength(await alone.cookieHeader());
      // `pad=<n bytes>` and its `; ` take exactly what the session leaves of the total, less the
      // headroom the default limits keep for the site's script cookies.
      const budget = limits.maxTotalBytes - SCRIPT_COOKIE_HEADROOM;
      const room = budget - sessionHeader - byteLength('; pad=');

      const exact = new JarClient(running.url, { userAgent });
      await exact.plant('pad', 'p'.repeat(room));
      const fits = await exact.post('/set', data);
      expect(fits.setCookies.map(lineName)).toEqual(['session', 'session.1']);
      expect(byteLength(await exact.cookieHeader())).toBe(budget);
      expect(events).toEqual([]);

      const over = new JarClient(running.url, { userAgent });
      await over.plant('pad', 'p'.repeat(room + 1));
      const shrunk = await over.post('/set', data);
      expect(shrunk.setCookies).toHaveLength(1);
      expect(byteLength(await over.cookieHeader())).toBeLessThan(budget);
      expect(events.map((e) => e.removedKeys)).toEqual([['big']]);
      expect((await over.get('/get')).json).toEqual({ small: 'hi' });
    });
  });

  it("deletes a session, with every chunk, once the site's other cookies leave no room for it", async () => {
    const userAgent = ROWS.find(([family]) => family === 'chromium')![1];
    const client = new JarClient(running.url, { userAgent });
    await client.post('/set', twoChunkSession());
    // Another part of the site fills the budget (say, a 7990-byte cookie set by a sub-application).
    await client.plant('other', 'o'.repeat(7990));
    const res = await client.post('/set', { small: 'changed' });
    expect(res.setCookies).toEqual([`session${DELETION}`, `session.1${DELETION}`]);
    expect(res.setCookies.every(isDeletion)).toBe(true);
    expect((await client.cookies()).map((c) => c.name)).toEqual(['other']);
    expect(events).toEqual([
      {
        cookieName: 'session',
        userAgent,
        bytesBefore: expect.any(Number),
        bytesAfter: 0,
        shrunkKeys: [],
        removedKeys: ['small'],
      },
    ]);
    // Nothing left to read, and nothing more to write.
    const read = await client.get('/get');
    expect(read.json).toEqual({});
    expect(read.setCookies).toEqual([]);
  });
});
