/**
 * The session in WebSocket gateways, on socket.io and on ws: real Nest applications listening
 * on loopback, real clients whose handshake carries the Cookie header of a tough-cookie jar that
 * signed in over HTTP. The session is read once per connection (cookie and Redis partitions);
 * a store partition's change is written to Redis when the handler ends; a cookie partition's
 * change is not kept, with one warning per connection naming the field; destroy() deletes the
 * records; a frozen Redis answers the handler's acknowledgement with an error and the connection
 * stays up; a session that expires during a connection reads as empty on the next message.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';

import { RedisStore } from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { PrivateRedis, sleep } from '../../support/private-servers.js';
import { connectRedis, deleteKeys } from '../../support/redis.js';
import { describeWithServer } from '../../support/require-server.js';
import { randomId, UNAVAILABLE_BODY } from '../graphql/support.js';
import { connect, startGatewayApp, type Platform, type RunningGateway } from './gateway-app.js';

const SECRET = 'a-gateway-test-secret-that-is-long-enough-0123456789';
const PLATFORMS: Platform[] = ['socket.io', 'ws'];

/** The warning for a cookie partition's change, naming the fields. */
function notKept(fields: string[]): string {
  const list = fields.map((f) => `"${f}"`).join(', ');
  const many = fields.length > 1;
  return `the session field${many ? 's' : ''} ${list} changed in a WebSocket handler ${many ? 'are' : 'is'} not kept: a socket cannot set cookies, and only a store partition whose record the handshake found can be written there; change ${many ? 'them' : 'it'} over HTTP`;
}

describe.each(PLATFORMS)('gateway on %s: cookie sessions', (platform) => {
  let running: RunningGateway;
  const logger = new CaptureLogger();

  beforeAll(async () => {
    running = await startGatewayApp(platform, { secret: SECRET }, logger);
  });
  afterEach(() => logger.clear());
  afterAll(async () => {
    await running.close();
  });

  it('a user signed in over HTTP is seen by a handler and a guard; signed out, the guard refuses', async () => {
    const browser = new TestBrowser(running.url);
    const anonymous = await connect(platform, running.url, '');
    expect(await anonymous.call('user')).toEqual({ user: null, isNew: true });
    expect(await anonymous.call('whoami')).toEqual({ session: {} });
    if (platform === 'socket.io') {
      // A refusing guard answers with Nest's `exception` event, not the acknowledgement.
      await expect(anonymous.call('guarded', undefined, 300)).rejects.toThrow(
        'operation has timed out',
      );
      expect(anonymous.exceptions).toEqual([
        expect.objectContaining({ status: 'error', message: 'Forbidden resource' }),
      ]);
    }
    anonymous.close();

    await browser.post('/login', { user: 'ada', theme: 'light' });
    const client = await connect(platform, running.url, await browser.cookieHeader());
    expect(await client.call('user')).toEqual({ user: 'ada', isNew: false });
    expect(await client.call('whoami')).toEqual({ session: { user: 'ada', theme: 'light' } });
    expect(await client.call('guarded')).toEqual({ guarded: 'ok' });
    client.close();
    expect(logger.warnings).toEqual([]);
  });

  it("a cookie partition's change is not kept: undone for the next message, one warning naming the field", async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/login', { user: 'ada', theme: 'light' });
    const client = await connect(platform, running.url, await browser.cookieHeader());
    expect(await client.call('set', { theme: 'dark' })).toEqual({ set: ['theme'] });
    expect(await client.call('whoami')).toEqual({ session: { user: 'ada', theme: 'light' } });
    expect(await client.call('set', { user: 'mallory', extra: 1 })).toEqual({
      set: ['user', 'extra'],
    });
    expect(await client.call('whoami')).toEqual({ session: { user: 'ada', theme: 'light' } });
    expect(logger.of('ChunkedSession')).toEqual([
      { level: 'warn', message: notKept(['theme']), context: 'ChunkedSession' },
    ]);
    client.close();
    expect((await browser.get('/whoami')).json).toEqual({ user: 'ada', theme: 'light' });

    // A new connection warns again, once.
    const second = await connect(platform, running.url, await browser.cookieHeader());
    await second.call('set', { user: 'eve', theme: 'x' });
    second.close();
    expect(logger.warnings).toEqual([notKept(['theme']), notKept(['user', 'theme'])]);
  });
});

await describeWithServer(
  { name: 'Redis', host: '127.0.0.1', port: 6379, start: 'redis-server --daemonize yes' },
  'gateways with a Redis partition',
  () => {
    describe.each(PLATFORMS)('on %s', (platform) => {
      const prefix = `ws-${randomId()}:`;
      const IDLE = 600;
      const logger = new CaptureLogger();
      let client: Redis;
      let running: RunningGateway;

      beforeAll(async () => {
        client = await connectRedis();
        running = await startGatewayApp(
          platform,
          {
            secret: SECRET,
            idleTimeout: IDLE,
            sessions: [
              {
                cookieName: 'sid',
                fields: ['user', 'role'],
                store: new RedisStore({ client, prefix }),
              },
              { cookieName: 'session', fields: 'auto' },
            ],
          },
          logger,
        );
      });
      afterEach(() => {
        logger.clear();
      });
      afterAll(async () => {
        await running.close();
        await deleteKeys(client, `${prefix}*`);
        client.disconnect();
      });

      async function signedIn() {
        const browser = new TestBrowser(running.url);
        await browser.post('/login', { user: 'ada', theme: 'light' });
        const keys = await client.keys(`${prefix}*`);
        expect(keys).toHaveLength(1);
        return { browser, key: keys[0] };
      }

      it("the handshake reads the store partition; a handler's change goes to Redis and comes back over HTTP", async () => {
        const { browser, key } = await signedIn();
        expect(key).toBeDefined();
        const ws = await connect(platform, running.url, await browser.cookieHeader());
        expect(await ws.call('whoami')).toEqual({ session: { user: 'ada', theme: 'light' } });
        expect(await ws.call('set', { role: 'admin', theme: 'dark' })).toEqual({
          set: ['role', 'theme'],
        });
        // Written when the handler ended, before its answer.
        expect(JSON.parse((await client.get(key!))!)).toEqual({ user: 'ada', role: 'admin' });
        const ttl = await client.ttl(key!);
        expect(ttl).toBeGreaterThan(IDLE - 10);
        expect(ttl).toBeLessThanOrEqual(IDLE);
        expect(await ws.call('whoami')).toEqual({
          session: { user: 'ada', role: 'admin', theme: 'light' },
        });
        expect(logger.warnings).toEqual([notKept(['theme'])]);
        ws.close();
        const http = await browser.get('/whoami');
        expect(http.json).toEqual({ user: 'ada', role: 'admin', theme: 'light' });
        await deleteKeys(client, key!);
      });

      it('destroy() deletes the store record; the connection reads as empty; HTTP deletes the cookie next', async () => {
        const { browser, key } = await signedIn();
        const ws = await connect(platform, running.url, await browser.cookieHeader());
        expect(await ws.call('logout')).toEqual({ destroyed: true });
        expect(await client.exists(key!)).toBe(0);
        expect(await ws.call('whoami')).toEqual({ session: {} });
        expect(await ws.call('user')).toEqual({ user: null, isNew: true });
        // The cookie partition's data cannot be deleted by a socket: said once.
        expect(logger.warnings).toEqual([
          'destroy() in a WebSocket handler deleted the store records, but the data kept in the cookies of "session" stays until an HTTP response destroys the session: a socket cannot delete cookies',
        ]);
        ws.close();
        const http = await browser.get('/whoami');
        expect(http.json).toEqual({ theme: 'light' });
        expect(http.setCookies).toEqual([
          'sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
        ]);
      });
    });
  },
);

await describeWithServer(
  { name: 'Redis', host: '127.0.0.1', port: 6379, start: 'redis-server --daemonize yes' },
  'gateways: timeouts',
  () => {
    describe.each(PLATFORMS)('on %s', (platform) => {
      // Real time: socket.io's client drops a connection whose clock jumps past its ping timeout.
      const IDLE = 2;
      let client: Redis;
      let running: RunningGateway;
      const prefix = `ws-idle-${randomId()}:`;

      beforeAll(async () => {
        client = await connectRedis();
        running = await startGatewayApp(platform, {
          secret: SECRET,
          idleTimeout: IDLE,
          // A remembered session's idle window: long past the test's end.
          remember: { maxAge: 3600, idleTimeout: 3600 },
          sessions: [
            {
              cookieName: 'sid',
              fields: ['user', 'role'],
              store: new RedisStore({ client, prefix }),
            },
            { cookieName: 'session', fields: 'auto' },
          ],
        });
      });
      afterAll(async () => {
        await running.close();
        await deleteKeys(client, `${prefix}*`);
        client.disconnect();
      });

      it('a session that expires during the connection reads as empty on the next message', async () => {
        const browser = new TestBrowser(running.url);
        await browser.post('/login', { user: 'ada', theme: 'light' });
        const [key] = await client.keys(`${prefix}*`);
        const ws = await connect(platform, running.url, await browser.cookieHeader());
        expect(await ws.call('user')).toEqual({ user: 'ada', isNew: false });
        // Sealed timestamps are whole seconds: past the idle window whatever the second's phase.
        await sleep((IDLE + 1.2) * 1000);
        expect(await ws.call('user')).toEqual({ user: null, isNew: true });
        expect(await ws.call('whoami')).toEqual({ session: {} });
        // Redis let the record go with its TTL (the idle window); an expired session writes
        // nothing, so no handler brings it back.
        expect(await ws.call('set', { role: 'late' })).toEqual({ set: ['role'] });
        expect(await client.get(key!)).toBeNull();
        expect(await ws.call('whoami')).toEqual({ session: {} });
        ws.close();
      });

      it("a remembered session's idle window is the remember one: it outlives idleTimeout", async () => {
        const browser = new TestBrowser(running.url);
        await browser.post('/login-remembered', { user: 'grace', theme: 'dark' });
        const ws = await connect(platform, running.url, await browser.cookieHeader());
        expect(await ws.call('user')).toEqual({ user: 'grace', isNew: false });
        await sleep((IDLE + 1.2) * 1000);
        // Past `idleTimeout`, within `remember.idleTimeout`: both partitions still read.
        expect(await ws.call('user')).toEqual({ user: 'grace', isNew: false });
        expect(await ws.call('whoami')).toEqual({ session: { user: 'grace', theme: 'dark' } });
        // And a change to the store partition is still written, with the remember window's TTL.
        expect(await ws.call('set', { role: 'admin' })).toEqual({ set: ['role'] });
        const keys = await client.keys(`${prefix}*`);
        const values = await Promise.all(keys.map((k) => client.get(k)));
        expect(values.some((v) => v !== null && JSON.parse(v).role === 'admin')).toBe(true);
        const ttls = await Promise.all(keys.map((k) => client.ttl(k)));
        expect(Math.max(...ttls)).toBeGreaterThan(IDLE);
        ws.close();
      });
    });
  },
);

describe.each(PLATFORMS)('gateway on %s: a failing store', (platform) => {
  const STORE_TIMEOUT = 300;
  let redis: PrivateRedis;
  let client: Redis;
  let running: RunningGateway;
  const logger = new CaptureLogger();

  beforeAll(async () => {
    redis = await PrivateRedis.create();
    client = await connectRedis(redis.port);
    running = await startGatewayApp(
      platform,
      {
        secret: SECRET,
        storeTimeout: STORE_TIMEOUT,
        sessions: [
          { cookieName: 'sid', fields: ['user', 'role'], store: new RedisStore({ client }) },
          { cookieName: 'session', fields: 'auto' },
        ],
      },
      logger,
    );
  });
  afterEach(() => {
    redis.thaw();
    logger.clear();
  });
  afterAll(async () => {
    await running.close();
    client.disconnect();
    await redis.dispose();
  });

  it('a store write that times out: the acknowledgement carries the error, the connection stays up', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/login', { user: 'ada', role: 'reader' });
    const ws = await connect(platform, running.url, await browser.cookieHeader());
    expect(await ws.call('user')).toEqual({ user: 'ada', isNew: false });
    redis.freeze();
    expect(await ws.call('set', { role: 'admin' })).toEqual({ error: UNAVAILABLE_BODY });
    expect(logger.errors).toEqual([
      `Session store unavailable: set in the store of "sid" failed: no answer within ${STORE_TIMEOUT} ms (storeTimeout)`,
    ]);
    redis.thaw();
    // The change that failed is undone; the same connection serves again.
    expect(await ws.call('whoami')).toEqual({ session: { user: 'ada', role: 'reader' } });
    expect(await ws.call('set', { role: 'editor' })).toEqual({ set: ['role'] });
    expect(await ws.call('whoami')).toEqual({ session: { user: 'ada', role: 'editor' } });
    ws.close();
    expect((await browser.get('/whoami')).json).toEqual({ user: 'ada', role: 'editor' });
  });

  it('a store read that fails at the first message: the acknowledgement carries the error', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/login', { user: 'ada' });
    const ws = await connect(platform, running.url, await browser.cookieHeader());
    redis.freeze();
    expect(await ws.call('whoami')).toEqual({ error: UNAVAILABLE_BODY });
    redis.thaw();
    expect(await ws.call('whoami')).toEqual({ session: { user: 'ada' } });
    ws.close();
  });
});
