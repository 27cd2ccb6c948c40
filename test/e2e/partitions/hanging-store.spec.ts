/**
 * A store whose calls never settle (no server needed): every affected request answers 503
 * after `storeTimeout` instead of hanging (the detail goes to the log, once), and nothing is
 * half-written.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { SessionStore } from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { expectNest503, outageModule, STORE_TIMEOUT } from './outage-fixture.js';
import { CaptureLogger, ClockOffset, setCookieNames } from './support.js';

/** A store whose chosen methods never settle; the others go to a MemoryStore-like map. */
class HangingStore implements SessionStore {
  readonly hang = new Set<'get' | 'set' | 'destroy' | 'touch'>();
  private readonly records = new Map<string, Record<string, unknown>>();
  private readonly never = () => new Promise<never>(() => undefined);

  async get(id: string) {
    if (this.hang.has('get')) return this.never();
    return this.records.get(id);
  }
  async set(id: string, data: Record<string, unknown>) {
    if (this.hang.has('set')) return this.never();
    this.records.set(id, structuredClone(data));
  }
  async destroy(id: string) {
    if (this.hang.has('destroy')) return this.never();
    this.records.delete(id);
  }
  async touch() {
    if (this.hang.has('touch')) return this.never();
  }
}

describe('a store call that never settles', () => {
  let running: RunningApp;
  const store = new HangingStore();
  const clock = new ClockOffset();
  const logger = new CaptureLogger();

  beforeAll(async () => {
    running = await startNestApp(outageModule(store), {
      configure: (app) => app.useLogger(logger),
    });
  });
  afterAll(async () => {
    clock.restore();
    await running?.close();
  });

  const noAnswer = (what: string) =>
    new RegExp(
      `^Session store unavailable: ${what} failed: no answer within ${STORE_TIMEOUT} ms \\(storeTimeout\\)$`,
    );

  it('answers 503 after storeTimeout instead of hanging, for get, set, destroy and touch', async () => {
    const browser = new TestBrowser(running.url);
    expect((await browser.post('/set', { user: { id: 1 }, theme: 't' })).status).toBe(201);
    const cookies = await browser.cookieHeader();

    store.hang.add('get');
    expectNest503(
      await browser.get('/read'),
      logger.takeErrors(),
      noAnswer('get from the store of "sid"'),
    );
    expect(await browser.cookieHeader()).toBe(cookies);
    store.hang.clear();

    store.hang.add('set');
    expectNest503(
      await browser.post('/set', { roles: ['x'], theme: 'u' }),
      logger.takeErrors(),
      noAnswer('set in the store of "sid"'),
    );
    expect(await browser.cookieHeader()).toBe(cookies);
    store.hang.clear();

    store.hang.add('destroy');
    expectNest503(
      await browser.post('/destroy'),
      logger.takeErrors(),
      noAnswer('destroy a record'),
    );
    expect(await browser.cookieHeader()).toBe(cookies);
    store.hang.clear();

    // Nothing was half-written: the session is as it was before the failures.
    const read = await browser.get('/read');
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ session: { user: { id: 1 }, theme: 't' }, isNew: false });
    expect(read.setCookies).toEqual([]);

    // The touch of an unchanged session, once touchAfter (8640 s by default) has passed.
    clock.install();
    clock.advance(9000);
    store.hang.add('touch');
    expectNest503(
      await browser.get('/read'),
      logger.takeErrors(),
      noAnswer('touch in the store of "sid"'),
    );
    expect(await browser.cookieHeader()).toBe(cookies);
    store.hang.clear();
    const touched = await browser.get('/read');
    expect(touched.status).toBe(200);
    expect(setCookieNames(touched)).toEqual(['sid', 'session']);
    expect(logger.takeErrors()).toEqual([]); // nothing logged for the requests served
  });
});
