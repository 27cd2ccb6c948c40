/**
 * Several cookie partitions share one budget (API.md section 3, last paragraph): they are fitted
 * in the order declared, each within what the request's other cookies and the partitions before
 * it leave; a partition that did not change counts with the cookies it already has.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Body, Controller, Post } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { browserLimits, Session, type ShrinkEvent } from '../../../src/index.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { setGetAppModule, SetGetController } from '../fixtures/set-get.controller.js';
import { byteLength, isChunkOf, isDeletion, JarClient, lineName, lineValue } from './jar-client.js';

const SECRET = 'a-limits-test-secret-that-is-long-enough-0123';
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const LIMITS = browserLimits(CHROME); // 4096 name+value, 180 cookies, 8000 bytes
const DELETION =
  '=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';

type Data = Record<string, unknown>;
const events: ShrinkEvent[] = [];

/** `POST /set` and `GET /get`, and: */
@Controller()
class SessionController extends SetGetController {
  /** Adds or replaces some fields, leaving the others as they are. */
  @Post('merge')
  merge(@Session() session: Data, @Body() body: Data) {
    Object.assign(session, body);
    return { ok: true };
  }
}

const SharedBudgetModule = setGetAppModule(
  {
    secret: SECRET,
    sessions: [
      { cookieName: 'prefs', fields: ['prefs'] },
      { cookieName: 'session', fields: 'auto' },
    ],
    // A whole set in one response, and the whole 8000 bytes of the Cookie header (no headroom
    // for script cookies, as when an application sets maxTotalBytes): the response budget and
    // the headroom have their own tests.
    limits: { maxTotalBytes: 8000, maxResponseHeaderBytes: 32768 },
    onShrink: (event) => events.push(event),
  },
  { controller: SessionController },
);

/** A random string whose JSON is `bytes` long (about 1.35 × that once sealed). */
const blob = (bytes: number): string =>
  randomBytes(bytes)
    .toString('base64url')
    .slice(0, bytes - 2);

const pairBytes = (lines: string[]): number =>
  lines
    .filter((line) => !isDeletion(line))
    .reduce((sum, line) => sum + byteLength(lineName(line)) + byteLength(lineValue(line)), 0);

describe('partitions share one budget', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(SharedBudgetModule);
  });
  afterAll(() => running.close());
  beforeEach(() => {
    events.length = 0;
  });

  /** The jar is within the limits; returns its Cookie header's length. */
  async function expectWithinLimits(client: JarClient): Promise<number> {
    const header = byteLength(await client.cookieHeader());
    expect(header).toBeLessThanOrEqual(LIMITS.maxTotalBytes);
    expect((await client.cookies()).length).toBeLessThanOrEqual(LIMITS.maxCookies);
    return header;
  }

  it('fits the partitions in the order declared: the first one fits, the later one is shrunk', async () => {
    const client = new JarClient(running.url, { userAgent: CHROME });
    const prefs = blob(4000);
    const res = await client.post('/set', { prefs, big: blob(4000), small: 'hi' });
    const names = res.setCookies.map(lineName);
    expect(names).toEqual(['prefs', 'prefs.1', 'session']);
    await expectWithinLimits(client);
    expect(events).toEqual([
      {
        cookieName: 'session',
        userAgent: CHROME,
        bytesBefore: expect.any(Number),
        bytesAfter: pairBytes(res.setCookies.filter((l) => isChunkOf('session', lineName(l)))),
        shrunkKeys: [],
        removedKeys: ['big'],
      },
    ]);
    expect((await client.get('/get')).json).toEqual({ prefs, small: 'hi' });
  });

  it('counts an unchanged partition with the cookies it already has', async () => {
    const client = new JarClient(running.url, { userAgent: CHROME });
    const prefs = blob(4000);
    await client.post('/set', { prefs });
    const prefsCookies = (await client.cookies()).filter((c) => isChunkOf('prefs', c.name));
    expect(prefsCookies.map((c) => c.name)).toEqual(['prefs', 'prefs.1']);

    // Only the catch-all changes: prefs writes nothing, and the catch-all fits beside it.
    const first = await client.post('/merge', { note: blob(1500) });
    expect(first.setCookies.map(lineName)).toEqual(['session']);
    await expectWithinLimits(client);
    expect(events).toEqual([]);

    // It grows past what prefs leaves: the catch-all is shrunk, prefs still untouched.
    const note2 = blob(1501);
    const second = await client.post('/merge', { note2 });
    expect(second.setCookies.map(lineName)).toEqual(['session']);
    await expectWithinLimits(client);
    expect(events.map((e) => [e.cookieName, e.removedKeys])).toEqual([['session', ['note2']]]);
    expect((await client.cookies()).filter((c) => isChunkOf('prefs', c.name))).toEqual(
      prefsCookies,
    );
    const read = await client.get('/get');
    expect(Object.keys(read.json).sort()).toEqual(['note', 'prefs']);
    expect(read.json.prefs).toBe(prefs);

    // A changed earlier partition is fitted within what the unchanged later one keeps: 4.5 KB
    // of prefs would fit alone (about 6.1 KB sealed), not beside the catch-all's 2.1 KB.
    events.length = 0;
    const grown = await client.post('/merge', { prefs: blob(4500) });
    expect(grown.setCookies).toEqual([`prefs${DELETION}`, `prefs.1${DELETION}`]);
    await expectWithinLimits(client);
    expect(events.map((e) => [e.cookieName, e.bytesAfter, e.removedKeys])).toEqual([
      ['prefs', 0, ['prefs']],
    ]);
    expect(Object.keys((await client.get('/get')).json)).toEqual(['note']);

    // The same prefs alone do fit.
    events.length = 0;
    const alone = new JarClient(running.url, { userAgent: CHROME });
    expect((await alone.post('/set', { prefs: blob(4500) })).setCookies.map(lineName)).toEqual([
      'prefs',
      'prefs.1',
    ]);
    expect(events).toEqual([]);
  });

  it('sends one event for each shrunk partition, in the order declared, on one response', async () => {
    const client = new JarClient(running.url, { userAgent: CHROME });
    await client.plant('pad', 'p'.repeat(5000));
    const res = await client.post('/set', { prefs: blob(4000), big: blob(4000), small: 'hi' });
    expect(res.setCookies.map(lineName)).toEqual(['session']);
    const header = await expectWithinLimits(client);
    expect(header).toBe(byteLength('pad=') + 5000 + 2 + pairBytes(res.setCookies) + 1);
    expect(events).toEqual([
      {
        cookieName: 'prefs',
        userAgent: CHROME,
        bytesBefore: expect.any(Number),
        bytesAfter: 0,
        shrunkKeys: [],
        removedKeys: ['prefs'],
      },
      {
        cookieName: 'session',
        userAgent: CHROME,
        bytesBefore: expect.any(Number),
        bytesAfter: pairBytes(res.setCookies),
        shrunkKeys: [],
        removedKeys: ['big'],
      },
    ]);
    expect(events[0]!.bytesBefore).toBeGreaterThan(5000);
    expect(events[1]!.bytesBefore).toBeGreaterThan(5000);
    expect((await client.get('/get')).json).toEqual({ small: 'hi' });
  });
});
