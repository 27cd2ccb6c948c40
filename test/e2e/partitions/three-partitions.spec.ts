/**
 * The three partitions of API.md section 4, end to end through a Nest application over HTTP
 * with a tough-cookie jar: a `csrf` cookie partition (SameSite=Strict, its own idle window),
 * a `sid` partition in a RedisStore on the machine's Redis, and the `session` catch-all.
 * Which cookie or store holds which field is checked by reading Redis and by leaving single
 * cookies out of a request; no cookie is decoded.
 */
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import type { Redis } from 'ioredis';

import { ChunkedSessionModule, RedisStore } from '../../../src/index.js';
import { TestBrowser, type BrowserResponse } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { describeWithServer } from '../../support/require-server.js';
import {
  ClockOffset,
  connectRedis,
  CountingStore,
  deleteKeys,
  FieldsController,
  HOST,
  keysMatching,
  randomId,
  REDIS_PORT,
  REDIS_START,
  SECRET,
  setCookieLine,
  setCookieNames,
} from './support.js';

/** Every key this run writes starts with it; afterAll deletes them all. */
const PREFIX = `chunked-session-e2e:partitions:${randomId()}:`;
const MODULE_MAX_AGE = 3600;
const SID_ABSOLUTE = 2000;

const ATTRS_TAIL = {
  csrf: '; HttpOnly; SameSite=Strict',
  sid: '; HttpOnly; SameSite=Lax',
  session: '; HttpOnly; SameSite=Lax',
} as const;
type PartitionName = keyof typeof ATTRS_TAIL;
const EXPIRES = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function threePartitionsModule(sid: CountingStore) {
  @Module({
    imports: [
      ChunkedSessionModule.forRoot({
        secret: SECRET,
        cookie: { path: '/', maxAge: MODULE_MAX_AGE },
        idleTimeout: 3600,
        touchAfter: 300,
        sessions: [
          {
            cookieName: 'csrf',
            fields: ['csrfToken'],
            cookie: { sameSite: 'strict' },
            idleTimeout: 600,
          },
          {
            cookieName: 'sid',
            fields: ['user', 'roles'],
            store: sid,
            absoluteTimeout: SID_ABSOLUTE,
          },
          { cookieName: 'session', fields: 'auto' },
        ],
      }),
    ],
    controllers: [FieldsController],
  })
  class ThreePartitionsModule {}
  return ThreePartitionsModule;
}

await describeWithServer(
  { name: 'Redis', host: HOST, port: REDIS_PORT, start: REDIS_START },
  'three partitions: csrf cookie, sid in Redis, session auto',
  () => {
    let redis: Redis;
    let sid: CountingStore;
    let running: RunningApp;
    const clock = new ClockOffset();

    beforeAll(async () => {
      redis = await connectRedis();
      sid = new CountingStore(new RedisStore({ client: redis, prefix: PREFIX }));
      running = await startNestApp(threePartitionsModule(sid));
    });

    afterAll(async () => {
      clock.restore();
      await running?.close();
      if (redis) {
        await deleteKeys(redis, `${PREFIX}*`);
        await redis.quit();
      }
    });

    afterEach(() => {
      sid.take();
    });

    /** The id of the single `set` since the last `take()`. */
    function setId(calls: string[]): string {
      const sets = calls.filter((c) => c.startsWith('set:'));
      expect(sets).toHaveLength(1);
      return sets[0]!.slice('set:'.length);
    }

    /** A Set-Cookie line that writes `name`, checked attribute by attribute. */
    function expectWritten(res: BrowserResponse, name: PartitionName): void {
      const line = setCookieLine(res, name);
      const match =
        /^([^=]+)=([A-Za-z0-9_.-]+); Max-Age=(\d+); Path=\/; Expires=([^;]+)(;.*)$/.exec(line);
      if (!match) throw new Error(`unexpected Set-Cookie line: ${line}`);
      const [, , , maxAge, expires, tail] = match!;
      expect(maxAge).toBe(String(MODULE_MAX_AGE));
      expect(expires).toMatch(EXPIRES);
      // Expires = the server's (shifted) clock + Max-Age, to the second.
      const expiresAt = Date.parse(expires!) / 1000;
      const now = Math.floor(Date.now() / 1000);
      expect(expiresAt).toBeGreaterThanOrEqual(now - 5 + MODULE_MAX_AGE);
      expect(expiresAt).toBeLessThanOrEqual(now + MODULE_MAX_AGE);
      expect(tail).toBe(ATTRS_TAIL[name]);
    }

    /** A Set-Cookie line that deletes `name`, with the partition's own attributes. */
    function expectDeleted(res: BrowserResponse, name: PartitionName): void {
      expect(setCookieLine(res, name)).toBe(
        `${name}=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT${ATTRS_TAIL[name]}`,
      );
    }

    async function redisRecord(id: string): Promise<unknown> {
      const json = await redis.get(PREFIX + id);
      return json === null ? null : JSON.parse(json);
    }

    const ALL = {
      csrfToken: 'csrf-1',
      user: { id: 7, name: 'Ann' },
      roles: ['admin'],
      cart: [1, 2],
      theme: 'dark',
    };

    /** A browser with every partition written; returns it and the sid record's id. */
    async function signedIn(): Promise<{ browser: TestBrowser; id: string }> {
      const browser = new TestBrowser(running.url);
      const res = await browser.post('/set', ALL);
      expect(res.status).toBe(201);
      expect(setCookieNames(res)).toEqual(['csrf', 'sid', 'session']);
      const id = setId(sid.take());
      return { browser, id };
    }

    it('routes every field to the partition that claims it, with merged cookie attributes', async () => {
      const browser = new TestBrowser(running.url);
      const first = await browser.post('/set', ALL);
      expect(first.status).toBe(201);
      expect(setCookieNames(first)).toEqual(['csrf', 'sid', 'session']);
      for (const name of ['csrf', 'sid', 'session'] as const) expectWritten(first, name);

      // The store got exactly its partition's fields, once, under a random id of ≥ 128 bits.
      const calls = sid.take();
      expect(calls).toHaveLength(1);
      const id = setId(calls);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(await keysMatching(redis, `${PREFIX}*`)).toEqual([PREFIX + id]);
      expect(await redisRecord(id)).toEqual({ user: ALL.user, roles: ALL.roles });
      const ttl = await redis.ttl(PREFIX + id);
      expect(ttl).toBeGreaterThan(SID_ABSOLUTE - 10); // the absolute window is the shorter one
      expect(ttl).toBeLessThanOrEqual(SID_ABSOLUTE);

      // The jar holds one cookie per partition; the store partition's is only a sealed id.
      const jar = await browser.cookies();
      expect([...jar.keys()].sort()).toEqual(['csrf', 'session', 'sid']);
      expect(jar.get('sid')!.length).toBeLessThanOrEqual(128);

      const read = await browser.get('/read');
      expect(read.status).toBe(200);
      expect(read.json).toEqual({ session: ALL, isNew: false });
      expect(read.setCookies).toEqual([]);
      expect(sid.take()).toEqual([`get:${id}`]);

      // Leave one cookie out: exactly the fields of its partition are gone.
      const without = async (name: string) => {
        const header = [...jar].filter(([n]) => n !== name).map(([n, v]) => `${n}=${v}`);
        const res = await browser.get('/read', { cookieHeader: header.join('; ') });
        expect(res.status).toBe(200);
        expect(res.setCookies).toEqual([]);
        return res.json.session;
      };
      expect(await without('csrf')).toEqual({
        user: ALL.user,
        roles: ALL.roles,
        cart: ALL.cart,
        theme: ALL.theme,
      });
      expect(await without('sid')).toEqual({
        csrfToken: ALL.csrfToken,
        cart: ALL.cart,
        theme: ALL.theme,
      });
      expect(await without('session')).toEqual({
        csrfToken: ALL.csrfToken,
        user: ALL.user,
        roles: ALL.roles,
      });
      // Only the request that carried `sid` read the store.
      expect(sid.take()).toEqual([`get:${id}`, `get:${id}`]);
    });

    it('writes only the partitions whose fields changed, and the csrf cookie only when csrfToken does', async () => {
      const { browser, id } = await signedIn();
      let jar = await browser.cookies();

      // An 'auto' field: only the session cookie; no store write.
      const cart = await browser.post('/set', { cart: [1, 2, 3] });
      expect(setCookieNames(cart)).toEqual(['session']);
      expectWritten(cart, 'session');
      expect(sid.take()).toEqual([`get:${id}`]);
      let next = await browser.cookies();
      expect(next.get('csrf')).toBe(jar.get('csrf'));
      expect(next.get('sid')).toBe(jar.get('sid'));
      expect(next.get('session')).not.toBe(jar.get('session'));
      jar = next;

      // The same value again is no change at all.
      const same = await browser.post('/set', {
        cart: [1, 2, 3],
        csrfToken: 'csrf-1',
        roles: ['admin'],
      });
      expect(same.setCookies).toEqual([]);
      expect(sid.take()).toEqual([`get:${id}`]);

      // csrfToken: only the csrf cookie.
      const csrf = await browser.post('/set', { csrfToken: 'csrf-2' });
      expect(setCookieNames(csrf)).toEqual(['csrf']);
      expectWritten(csrf, 'csrf');
      expect(sid.take()).toEqual([`get:${id}`]);
      next = await browser.cookies();
      expect(next.get('csrf')).not.toBe(jar.get('csrf'));
      expect(next.get('sid')).toBe(jar.get('sid'));
      expect(next.get('session')).toBe(jar.get('session'));
      jar = next;

      // A store field: the record is rewritten under the same id; the csrf cookie stays.
      const roles = Array.from({ length: 300 }, (_, i) => `role-${i}`);
      const grow = await browser.post('/set', { roles });
      expect(setCookieNames(grow)).toEqual(['sid']);
      expectWritten(grow, 'sid');
      expect(sid.take()).toEqual([`get:${id}`, `set:${id}`]);
      expect(await redisRecord(id)).toEqual({ user: ALL.user, roles });
      expect(await keysMatching(redis, `${PREFIX}*`)).toContain(PREFIX + id);
      next = await browser.cookies();
      expect(next.get('csrf')).toBe(jar.get('csrf'));
      expect(next.get('session')).toBe(jar.get('session'));
      // The sid cookie is still only a sealed id: its size does not follow the data.
      expect(next.get('sid')!.length).toBe(jar.get('sid')!.length);
      jar = next;

      // Nothing changed: no Set-Cookie, no store write.
      const read = await browser.get('/read');
      expect(read.json).toEqual({
        session: { ...ALL, csrfToken: 'csrf-2', cart: [1, 2, 3], roles },
        isNew: false,
      });
      expect(read.setCookies).toEqual([]);
      expect(sid.take()).toEqual([`get:${id}`]);

      // Removing the last store field deletes the record and the sid cookie, nothing else.
      const drop = await browser.post('/unset', ['user', 'roles']);
      expect(setCookieNames(drop)).toEqual(['sid']);
      expectDeleted(drop, 'sid');
      expect(sid.take()).toEqual([`get:${id}`, `destroy:${id}`]);
      expect(await redis.exists(PREFIX + id)).toBe(0);
      next = await browser.cookies();
      expect([...next.keys()].sort()).toEqual(['csrf', 'session']);
      expect(next.get('csrf')).toBe(jar.get('csrf'));
    });

    it('touches an unchanged session once touchAfter has passed: cookies re-sealed, Redis TTL renewed', async () => {
      clock.install();
      const { browser, id } = await signedIn();
      const jar = await browser.cookies();
      // Stand in for the time Redis has counted down.
      await redis.expire(PREFIX + id, 100);

      clock.advance(200); // < touchAfter (300)
      const early = await browser.get('/read');
      expect(early.json.session).toEqual(ALL);
      expect(early.setCookies).toEqual([]);
      expect(sid.take()).toEqual([`get:${id}`]);
      expect(await redis.ttl(PREFIX + id)).toBeLessThanOrEqual(100);

      clock.advance(200); // 400 s since the write: > touchAfter
      const due = await browser.get('/read');
      expect(due.json.session).toEqual(ALL);
      expect(setCookieNames(due)).toEqual(['csrf', 'sid', 'session']);
      for (const name of ['csrf', 'sid', 'session'] as const) expectWritten(due, name);
      // The store record is touched (not rewritten), for what is left of sid's absolute window.
      expect(sid.calls).toEqual([`get:${id}`, `touch:${id}`]);
      const [touchTtl] = sid.ttls;
      expect(touchTtl).toBeGreaterThanOrEqual(SID_ABSOLUTE - 400 - 5);
      expect(touchTtl).toBeLessThanOrEqual(SID_ABSOLUTE - 400);
      sid.take();
      const renewed = await redis.ttl(PREFIX + id);
      expect(renewed).toBeGreaterThan(SID_ABSOLUTE - 400 - 10);
      expect(renewed).toBeLessThanOrEqual(SID_ABSOLUTE - 400);
      expect(await redisRecord(id)).toEqual({ user: ALL.user, roles: ALL.roles });
      const after = await browser.cookies();
      for (const name of ['csrf', 'sid', 'session'])
        expect(after.get(name)).not.toBe(jar.get(name));

      // Just touched: quiet again.
      const quiet = await browser.get('/read');
      expect(quiet.setCookies).toEqual([]);
      expect(sid.take()).toEqual([`get:${id}`]);
    });

    it('expires a partition by its own idleTimeout and deletes its cookie, keeping the others', async () => {
      clock.install();
      const { browser, id } = await signedIn();

      clock.advance(700); // past csrf's idleTimeout (600), within the module's (3600)
      const res = await browser.get('/read');
      expect(res.status).toBe(200);
      const { csrfToken: _gone, ...rest } = ALL;
      expect(res.json).toEqual({ session: rest, isNew: false });
      // csrf: deleted with its own attributes; sid and session: touched (touchAfter passed).
      expect(setCookieNames(res)).toEqual(['csrf', 'sid', 'session']);
      expectDeleted(res, 'csrf');
      expectWritten(res, 'sid');
      expectWritten(res, 'session');
      expect(sid.take()).toEqual([`get:${id}`, `touch:${id}`]);
      expect([...(await browser.cookies()).keys()].sort()).toEqual(['session', 'sid']);
    });

    it('regenerate(): a new id for the store partition, the old record deleted, the data kept', async () => {
      const { browser, id } = await signedIn();
      const before = await browser.cookies();

      const res = await browser.post('/regenerate');
      expect(res.status).toBe(201);
      expect(setCookieNames(res)).toEqual(['csrf', 'sid', 'session']);
      for (const name of ['csrf', 'sid', 'session'] as const) expectWritten(res, name);
      const calls = sid.take();
      const fresh = setId(calls);
      expect(fresh).not.toBe(id);
      expect(calls).toEqual([`get:${id}`, `set:${fresh}`, `destroy:${id}`]);
      expect(await redis.exists(PREFIX + id)).toBe(0);
      expect(await redisRecord(fresh)).toEqual({ user: ALL.user, roles: ALL.roles });
      expect((await browser.cookies()).get('sid')).not.toBe(before.get('sid'));

      const read = await browser.get('/read');
      expect(read.json).toEqual({ session: ALL, isNew: false });
      expect(read.setCookies).toEqual([]);
      expect(sid.take()).toEqual([`get:${fresh}`]);

      // The old sid cookie no longer opens anything.
      const stale = await browser.get('/read', {
        cookieHeader: `sid=${before.get('sid')}`,
      });
      expect(stale.status).toBe(200);
      expect(stale.json).toEqual({ session: {}, isNew: true });
      expect(setCookieNames(stale)).toEqual(['sid']);
      expectDeleted(stale, 'sid');
    });

    it('login (regenerate, then new fields) on a session that had a record', async () => {
      const { browser, id } = await signedIn();
      const res = await browser.post('/login', { user: { id: 8, name: 'Bob' }, roles: [] });
      expect(setCookieNames(res)).toEqual(['csrf', 'sid', 'session']);
      const calls = sid.take();
      const fresh = setId(calls);
      expect(calls).toEqual([`get:${id}`, `set:${fresh}`, `destroy:${id}`]);
      expect(await keysMatching(redis, `${PREFIX}*`)).not.toContain(PREFIX + id);
      expect(await redisRecord(fresh)).toEqual({ user: { id: 8, name: 'Bob' }, roles: [] });
    });

    it('destroy(): every record and every cookie deleted, the jar left empty', async () => {
      const { browser, id } = await signedIn();
      const res = await browser.post('/destroy');
      expect(res.status).toBe(201);
      expect(setCookieNames(res)).toEqual(['csrf', 'sid', 'session']);
      for (const name of ['csrf', 'sid', 'session'] as const) expectDeleted(res, name);
      expect(sid.take()).toEqual([`get:${id}`, `destroy:${id}`]);
      expect(await redis.exists(PREFIX + id)).toBe(0);
      expect(await browser.cookies()).toEqual(new Map());

      const read = await browser.get('/read');
      expect(read.json).toEqual({ session: {}, isNew: true });
      expect(read.setCookies).toEqual([]);
      expect(sid.take()).toEqual([]);
    });

    it('reads a tampered sid cookie, or one whose record is gone, as an empty partition (never a 500)', async () => {
      const { browser, id } = await signedIn();
      const jar = await browser.cookies();
      const others = `csrf=${jar.get('csrf')}; session=${jar.get('session')}`;
      const sidValue = jar.get('sid')!;
      const at = sidValue.length - 10;
      const tampered =
        sidValue.slice(0, at) + (sidValue[at] === 'A' ? 'B' : 'A') + sidValue.slice(at + 1);
      const rest = { csrfToken: ALL.csrfToken, cart: ALL.cart, theme: ALL.theme };

      for (const value of [tampered, 'garbage', '', sidValue + sidValue]) {
        const res = await browser.get('/read', { cookieHeader: `${others}; sid=${value}` });
        expect(res.status).toBe(200);
        expect(res.json).toEqual({ session: rest, isNew: false });
        // The unreadable cookie is deleted; the others are left alone.
        expect(setCookieNames(res)).toEqual(['sid']);
        expectDeleted(res, 'sid');
      }
      expect(sid.take()).toEqual([]); // no id could be opened, so the store was not asked

      await redis.del(PREFIX + id);
      const gone = await browser.get('/read', { cookieHeader: `${others}; sid=${sidValue}` });
      expect(gone.status).toBe(200);
      expect(gone.json).toEqual({ session: rest, isNew: false });
      expect(setCookieNames(gone)).toEqual(['sid']);
      expectDeleted(gone, 'sid');
      expect(sid.take()).toEqual([`get:${id}`]);
    });
  },
);
