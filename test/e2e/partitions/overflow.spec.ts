/**
 * A cookie partition with an `overflow` store, end to end with the default limits (fetch's
 * User-Agent "node" is unknown: 4093 bytes a cookie, attributes counted, 8000 bytes in all):
 * data that phase 1 of shrinking cannot fit moves to the store whole, the cookie then holding
 * only a sealed id; once it fits again it moves back into cookies and the record is deleted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';

import {
  ChunkedSessionModule,
  FileStore,
  MemoryStore,
  type SessionStore,
  type ShrinkEvent,
} from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import {
  CaptureLogger,
  CountingStore,
  FieldsController,
  noise,
  SECRET,
  setCookieLine,
  setCookieNames,
} from './support.js';

const ATTRS = '; Path=/; HttpOnly; SameSite=Lax';
const DELETE =
  '=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';

function overflowModule(overflow: CountingStore, events: ShrinkEvent[]) {
  @Module({
    imports: [
      ChunkedSessionModule.forRoot({
        secret: SECRET,
        sessions: [{ cookieName: 'session', fields: 'auto', overflow }],
        // A whole set in one response; the response budget has its own tests.
        limits: { maxResponseHeaderBytes: 32768 },
        shrinkers: [
          {
            key: 'history',
            // The API.md example: drop the oldest entry (the last one goes with the key).
            shrink: (list, { last }) =>
              last || !Array.isArray(list) || list.length < 2 ? undefined : list.slice(1),
          },
        ],
        onShrink: (event) => events.push(event),
      }),
    ],
    controllers: [FieldsController],
  })
  class OverflowModule {}
  return OverflowModule;
}

const stores: [string, (dir: string) => SessionStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['FileStore', (dir) => new FileStore({ dir })],
];

describe.each(stores)('overflow into a %s', (_name, makeStore) => {
  let running: RunningApp;
  let overflow: CountingStore;
  let dir: string;
  const events: ShrinkEvent[] = [];
  const logger = new CaptureLogger();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'partitions-overflow-'));
    overflow = new CountingStore(makeStore(join(dir, 'sessions')));
    running = await startNestApp(overflowModule(overflow, events), {
      configure: (app) => app.useLogger(logger),
    });
  });

  afterAll(async () => {
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('moves a session that does not fit into the store whole, and back into cookies once it fits', async () => {
    const browser = new TestBrowser(running.url);
    const blob = noise(5000);

    // Fits in two chunks: cookies only, the store is not used.
    const small = await browser.post('/set', { user: 'ann', blob });
    expect(small.status).toBe(201);
    expect(setCookieNames(small)).toEqual(['session', 'session.1']);
    for (const line of small.setCookies)
      expect(line).toMatch(/^session(\.1)?=[A-Za-z0-9_.-]+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(overflow.take()).toEqual([]);
    expect(events).toEqual([]);

    // Past the 8000-byte budget, with nothing phase 1 can shrink: to the store, keys intact.
    const bigBlob = noise(9000);
    const big = await browser.post('/set', { blob: bigBlob });
    expect(big.status).toBe(201);
    expect(big.setCookies).toHaveLength(2);
    const idLine = setCookieLine(big, 'session');
    expect(idLine).toMatch(/^session=[A-Za-z0-9_.-]+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(setCookieLine(big, 'session.1')).toBe(`session.1${DELETE}`);
    const calls = overflow.take();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^set:[A-Za-z0-9_-]{22,}$/);
    const id = calls[0]!.slice('set:'.length);
    expect(await overflow.inner.get(id)).toEqual({ user: 'ann', blob: bigBlob });

    const jar = await browser.cookies();
    expect([...jar.keys()]).toEqual(['session']);
    const idValue = jar.get('session')!;
    expect(idValue.length).toBeLessThanOrEqual(128);
    expect(idLine).toBe(`session=${idValue}${ATTRS}`);

    // One event and one warning for the move: nothing shrunk, nothing removed.
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toEqual({
      cookieName: 'session',
      userAgent: 'node', // fetch's own User-Agent: unknown, so the default limits
      bytesBefore: expect.any(Number),
      bytesAfter: 'session'.length + idValue.length,
      shrunkKeys: [],
      removedKeys: [],
    });
    expect(event!.bytesBefore).toBeGreaterThan(12000); // 9000 hex characters, sealed, base64url
    expect(logger.warnings).toContain(
      `the session cookie "session" did not fit (${event!.bytesBefore} → ${event!.bytesAfter} bytes); moved to its overflow store`,
    );

    // Read back whole from the store.
    const read = await browser.get('/read');
    expect(read.json).toEqual({ session: { user: 'ann', blob: bigBlob }, isNew: false });
    expect(read.setCookies).toEqual([]);
    expect(overflow.take()).toEqual([`get:${id}`]);

    // Changed but still too big: the same record is rewritten, the cookie stays an id.
    const still = await browser.post('/set', { user: 'bob' });
    expect(setCookieNames(still)).toEqual(['session']);
    expect(overflow.take()).toEqual([`get:${id}`, `set:${id}`]);
    expect(await overflow.inner.get(id)).toEqual({ user: 'bob', blob: bigBlob });
    expect((await browser.cookies()).get('session')!.length).toBe(idValue.length);

    // Small again: back into the cookie, the record deleted.
    const back = await browser.post('/unset', ['blob']);
    expect(setCookieNames(back)).toEqual(['session']);
    expect(overflow.take()).toEqual([`get:${id}`, `destroy:${id}`]);
    expect(await overflow.inner.get(id)).toBeUndefined();

    // Now the cookie itself holds the data: reading asks no store.
    const after = await browser.get('/read');
    expect(after.json).toEqual({ session: { user: 'bob' }, isNew: false });
    expect(after.setCookies).toEqual([]);
    expect(overflow.take()).toEqual([]);
    expect(events).toHaveLength(1);
  });

  it('keeps the data in cookies when phase-1 shrinkers make it fit', async () => {
    events.length = 0;
    const browser = new TestBrowser(running.url);
    const history = Array.from({ length: 40 }, (_, i) => `${i}:${noise(300)}`);
    const res = await browser.post('/set', { user: 'cy', history });
    expect(res.status).toBe(201);
    expect(overflow.take()).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      cookieName: 'session',
      shrunkKeys: ['history'],
      removedKeys: [],
    });

    const read = await browser.get('/read');
    const kept: string[] = read.json.session.history;
    expect(read.json.session.user).toBe('cy');
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(history.length);
    expect(kept).toEqual(history.slice(history.length - kept.length)); // the oldest went first
    expect(overflow.take()).toEqual([]);
  });

  it('moves the unshrunk data when phase 1 is not enough; regenerate() and destroy() handle its record', async () => {
    events.length = 0;
    const browser = new TestBrowser(running.url);
    const history = Array.from({ length: 4 }, (_, i) => `${i}:${noise(100)}`);
    const blob = noise(9000);
    const res = await browser.post('/set', { history, blob });
    expect(setCookieNames(res)).toEqual(['session']);
    const calls = overflow.take();
    expect(calls).toHaveLength(1);
    const id = calls[0]!.slice('set:'.length);
    // Phase 1 ran (history shrunk as far as it goes) without fitting: the store gets it all.
    expect(await overflow.inner.get(id)).toEqual({ history, blob });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ shrunkKeys: [], removedKeys: [] });
    expect((await browser.get('/read')).json.session).toEqual({ history, blob });
    overflow.take();

    // regenerate(): a new record id for the overflowed partition, the old record deleted.
    const regenerated = await browser.post('/regenerate');
    expect(setCookieNames(regenerated)).toEqual(['session']);
    const moved = overflow.take();
    expect(moved).toHaveLength(3);
    const fresh = moved[1]!.slice('set:'.length);
    expect(moved).toEqual([`get:${id}`, `set:${fresh}`, `destroy:${id}`]);
    expect(fresh).not.toBe(id);
    expect(await overflow.inner.get(id)).toBeUndefined();
    expect(await overflow.inner.get(fresh)).toEqual({ history, blob });

    const out = await browser.post('/destroy');
    expect(out.setCookies).toEqual([`session${DELETE}`]);
    expect(overflow.take()).toEqual([`get:${fresh}`, `destroy:${fresh}`]);
    expect(await overflow.inner.get(fresh)).toBeUndefined();
    expect(await browser.cookies()).toEqual(new Map());
  });
});

describe('no room left even for an id (the site’s other cookies fill the budget)', () => {
  let running: RunningApp;
  const logger = new CaptureLogger();
  const sid = new CountingStore(new MemoryStore());
  const overflow = new CountingStore(new MemoryStore());

  @Module({
    imports: [
      ChunkedSessionModule.forRoot({
        secret: SECRET,
        sessions: [
          { cookieName: 'sid', fields: ['user'], store: sid },
          { cookieName: 'session', fields: 'auto', overflow },
        ],
      }),
    ],
    controllers: [FieldsController],
  })
  class NoRoomModule {}

  beforeAll(async () => {
    running = await startNestApp(NoRoomModule, { configure: (app) => app.useLogger(logger) });
  });
  afterAll(() => running?.close());

  it('writes no store record that no cookie could point to, and says why', async () => {
    const browser = new TestBrowser(running.url);
    // 'other=' + 7980 characters: with its '; ', 7988 of the 8000 bytes are taken.
    const other = `other=${noise(7980)}`;
    const res = await browser.post(
      '/set',
      { user: 'ann', blob: noise(9000) },
      { cookieHeader: other },
    );
    expect(res.status).toBe(201);
    expect(res.setCookies).toEqual([]);
    expect(sid.take()).toEqual([]);
    expect(overflow.take()).toEqual([]);
    // Said once each, though the response is committed twice (interceptor, then response hooks).
    expect(logger.errors).toEqual([
      `the session cookie "sid" does not fit even as an id: the request's other cookies fill the budget; its cookies were deleted`,
      `the session cookie "session" does not fit even as an id: the request's other cookies fill the budget; its cookies were deleted`,
    ]);
    expect(logger.warnings).toEqual([
      expect.stringMatching(
        /^the session cookie "session" did not fit \(\d+ → 0 bytes\); removed: blob$/,
      ),
    ]);

    // With room again, the session is empty and writes normally.
    const later = await browser.post('/set', { user: 'bob', theme: 'x' });
    expect(setCookieNames(later)).toEqual(['sid', 'session']);
    const [set] = sid.take();
    expect(await sid.inner.get(set!.slice('set:'.length))).toEqual({ user: 'bob' });
    expect(overflow.take()).toEqual([]);
    expect((await browser.get('/read')).json).toEqual({
      session: { user: 'bob', theme: 'x' },
      isNew: false,
    });
  });
});
