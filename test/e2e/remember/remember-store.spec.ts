/**
 * "Keep me signed in" with a store partition in the machine's Redis: the record's TTL follows
 * the remembered idle window (set on login, shortened again by remember(false), carried to the
 * new record by regenerate()), and a remembered session read back after a browser restart is
 * read from its record.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ChunkedSessionModule, RedisStore } from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { describeWithServer } from '../../support/require-server.js';
import { CHROME_UA, SECRET } from '../fixtures/secrets.js';
import {
  connectRedis,
  deleteKeys,
  HOST,
  keysMatching,
  randomId,
  REDIS_PORT,
  REDIS_START,
} from '../partitions/support.js';
import { RememberController } from './remember.controller.js';
import { expectPlain, expectRemembered, restarted } from './support.js';

const PREFIX = `chunked-session-e2e:remember:${randomId()}:`;
const IDLE = 600;
const REMEMBER = { maxAge: 7200, idleTimeout: 3600 };

await describeWithServer(
  { name: 'Redis', host: HOST, port: REDIS_PORT, start: REDIS_START },
  'remember with a store partition in Redis',
  () => {
    let redis: Redis;
    let running: RunningApp;

    beforeAll(async () => {
      redis = await connectRedis();
      @Module({
        imports: [
          ChunkedSessionModule.forRoot({
            secret: SECRET,
            idleTimeout: IDLE,
            remember: REMEMBER,
            sessions: [
              {
                cookieName: 'sid',
                fields: ['user'],
                store: new RedisStore({ client: redis, prefix: PREFIX }),
              },
              { cookieName: 'session', fields: 'auto' },
            ],
          }),
        ],
        controllers: [RememberController],
      })
      class RememberStoreModule {}
      running = await startNestApp(RememberStoreModule);
    });

    afterAll(async () => {
      await running?.close();
      if (redis) {
        await deleteKeys(redis, `${PREFIX}*`);
        await redis.quit();
      }
    });

    /** The one record this browser's session has in Redis, and its TTL in seconds. */
    async function record(before: readonly string[]): Promise<{ key: string; ttl: number }> {
      const keys = (await keysMatching(redis, `${PREFIX}*`)).filter((k) => !before.includes(k));
      expect(keys).toHaveLength(1);
      return { key: keys[0]!, ttl: await redis.ttl(keys[0]!) };
    }

    const expectTtl = (ttl: number, expected: number) => {
      expect(ttl).toBeLessThanOrEqual(expected);
      expect(ttl).toBeGreaterThanOrEqual(expected - 2);
    };

    it('a plain login: the record lives for idleTimeout, the cookies for the browser session', async () => {
      const before = await keysMatching(redis, `${PREFIX}*`);
      const b = new TestBrowser(running.url, CHROME_UA);
      const res = await b.post('/login', { fields: { user: 'bob', theme: 'dark' } });
      expect(expectPlain(res).sort()).toEqual(['session', 'sid']);
      const { key, ttl } = await record(before);
      expectTtl(ttl, IDLE);
      expect(JSON.parse((await redis.get(key))!)).toEqual({ user: 'bob' });
      expect((await (await restarted(b)).get('/me')).json).toEqual({
        session: {},
        isRemembered: false,
        isNew: true,
      });
    });

    it('a remembered login: the record lives for remember.idleTimeout, and outlives a restart', async () => {
      const before = await keysMatching(redis, `${PREFIX}*`);
      const b = new TestBrowser(running.url, CHROME_UA);
      const res = await b.post('/login', {
        fields: { user: 'ada', theme: 'dark' },
        remember: true,
      });
      expect(expectRemembered(res, REMEMBER.maxAge).sort()).toEqual(['session', 'sid']);
      expectTtl((await record(before)).ttl, REMEMBER.idleTimeout);
      const me = await (await restarted(b)).get('/me');
      expect(me.json).toEqual({
        session: { user: 'ada', theme: 'dark' },
        isRemembered: true,
        isNew: false,
      });
    });

    it('remember(false) shortens the TTL to idleTimeout again; remember() lengthens it', async () => {
      const before = await keysMatching(redis, `${PREFIX}*`);
      const b = new TestBrowser(running.url, CHROME_UA);
      await b.post('/login', { fields: { user: 'ada' }, remember: true });
      const { key } = await record(before);
      const off = await b.post('/remember', { on: false });
      expect(expectPlain(off)).toEqual(['sid']);
      expectTtl(await redis.ttl(key), IDLE);
      const on = await b.post('/remember', { on: true });
      expect(expectRemembered(on, REMEMBER.maxAge)).toEqual(['sid']);
      expectTtl(await redis.ttl(key), REMEMBER.idleTimeout);
    });

    it('regenerate() moves a remembered session to a new record with the remembered TTL', async () => {
      const before = await keysMatching(redis, `${PREFIX}*`);
      const b = new TestBrowser(running.url, CHROME_UA);
      await b.post('/login', { fields: { user: 'ada' }, remember: true });
      const old = await record(before);
      const res = await b.post('/regenerate');
      expect(res.json).toEqual({ isRemembered: true });
      expectRemembered(res, REMEMBER.maxAge);
      expect(await redis.exists(old.key)).toBe(0);
      const next = await record(before);
      expect(next.key).not.toBe(old.key);
      expectTtl(next.ttl, REMEMBER.idleTimeout);
    });

    it('destroy() deletes the record and clears the mark', async () => {
      const before = await keysMatching(redis, `${PREFIX}*`);
      const b = new TestBrowser(running.url, CHROME_UA);
      await b.post('/login', { fields: { user: 'ada' }, remember: true });
      const { key } = await record(before);
      expect((await b.post('/destroy')).json).toEqual({ isRemembered: false });
      expect(await redis.exists(key)).toBe(0);
      expect((await b.get('/me')).json).toEqual({ session: {}, isRemembered: false, isNew: true });
    });
  },
);
