/**
 * The session in GraphQL resolvers, one suite for each driver (apollo.spec.ts: Apollo on
 * Express; mercurius.spec.ts: Mercurius on Fastify): a real Nest application driven over HTTP
 * with a tough-cookie jar. A user signed in by a controller is seen by queries, field resolvers
 * and guards; a mutation's change is written on the HTTP response (chunked, shrunk, routed to a
 * Redis partition) and comes back on the next request; a failing store is a GraphQL error the
 * client sees, with no cookie changed.
 */
import { randomBytes } from 'node:crypto';

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';

import { RedisStore } from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import type { Platform } from '../../support/platform.js';
import { PrivateRedis } from '../../support/private-servers.js';
import { connectRedis, deleteKeys } from '../../support/redis.js';
import { describeWithServer } from '../../support/require-server.js';
import { graphql, graphqlModule, type GraphqlDriver } from './graphql-app.js';
import { randomId, UNAVAILABLE_BODY } from './support.js';

const SECRET = 'a-graphql-test-secret-that-is-long-enough-0123456789';
/** What the library writes on every cookie by default, after `name=value`. */
const ATTRIBUTES = '; Path=/; HttpOnly; SameSite=Lax';

/** The GraphQL error a client is told when the store fails as the session is written. */
const STORE_ERROR = {
  message: 'Session store unavailable',
  extensions: { code: 'ERR_SESSION_STORE_UNAVAILABLE', status: 503 },
};

/** What differs between the drivers, and nothing else. */
interface DriverCase {
  title: string;
  /**
   * Each driver runs on its own platform, whatever `PLATFORM` says (Nest's Apollo driver is
   * tested on Express; Mercurius exists on Fastify only), so `npm test` runs both.
   */
  platform: Platform;
  /** `extensions.code` of a guard's refusal: Apollo names it, Mercurius gives no extensions. */
  forbiddenCode: string | undefined;
  /** The 503 body for a failed store write: Mercurius's error formatter adds `data: null`. */
  storeFailureBody: object;
}

const DRIVERS: Record<GraphqlDriver, DriverCase> = {
  apollo: {
    title: 'Apollo on Express',
    platform: 'express',
    forbiddenCode: 'FORBIDDEN',
    storeFailureBody: { errors: [STORE_ERROR] },
  },
  mercurius: {
    title: 'Mercurius on Fastify',
    platform: 'fastify',
    forbiddenCode: undefined,
    storeFailureBody: { data: null, errors: [STORE_ERROR] },
  },
};

function names(lines: string[]): string[] {
  return lines.map((line) => line.slice(0, line.indexOf('=')));
}

/** The suites for one driver; call at the top level of a spec file (`await`: Redis may be absent). */
export async function describeGraphqlSessions(driver: GraphqlDriver): Promise<void> {
  const { title, platform, forbiddenCode, storeFailureBody } = DRIVERS[driver];
  const APP = { platform } as const;

  describe(`GraphQL (${title}): cookie sessions`, () => {
    let running: RunningApp;

    beforeAll(async () => {
      // Proxies raised to 32 KiB of response headers (README, "Limits"): room for two chunks.
      running = await startNestApp(
        graphqlModule({ secret: SECRET, limits: { maxResponseHeaderBytes: 32768 } }, driver),
        APP,
      );
    });
    afterAll(async () => {
      await running.close();
    });

    it('a user signed in over HTTP is seen by a query, a field resolver and a guard', async () => {
      const browser = new TestBrowser(running.url);
      const before = await graphql(browser, '{ me isNew profile { name } }');
      expect(before.status).toBe(200);
      expect(before.json).toEqual({ data: { me: null, isNew: true, profile: null } });
      expect(before.setCookies).toEqual([]);
      const refused = await graphql(browser, '{ secret }');
      expect(refused.json.data).toBeNull();
      expect(refused.json.errors[0].message).toBe('Forbidden resource');
      expect(refused.json.errors[0].extensions?.code).toBe(forbiddenCode);

      const login = await browser.post('/login', { user: 'ada' });
      expect(login.status).toBe(201);
      expect(names(login.setCookies)).toEqual(['session']);

      const after = await graphql(browser, '{ me isNew secret profile { name role } }');
      expect(after.json).toEqual({
        data: {
          me: 'ada',
          isNew: false,
          secret: 'for signed-in users',
          profile: { name: 'ada', role: null },
        },
      });
      // Reading changes nothing: no Set-Cookie.
      expect(after.setCookies).toEqual([]);
    });

    it("a mutation's change is written on the HTTP response and comes back on the next request", async () => {
      const browser = new TestBrowser(running.url);
      await browser.post('/login', { user: 'grace' });
      const before = await browser.cookies();

      const set = await graphql(browser, 'mutation { setRole(role: "admin") }');
      expect(set.json).toEqual({ data: { setRole: true } });
      expect(set.setCookies).toHaveLength(1);
      expect(set.setCookies[0]).toMatch(new RegExp(`^session=[A-Za-z0-9_.-]+${ATTRIBUTES}$`));
      expect((await browser.cookies()).get('session')).not.toBe(before.get('session'));

      expect((await browser.get('/whoami')).json).toEqual({ user: 'grace', role: 'admin' });
      const read = await graphql(browser, '{ profile { name role } }');
      expect(read.json).toEqual({ data: { profile: { name: 'grace', role: 'admin' } } });
    });

    it("several mutations in one operation: each sees the last one's change, one Set-Cookie line", async () => {
      const browser = new TestBrowser(running.url);
      const res = await graphql(browser, 'mutation { a: visit b: visit c: visit }');
      expect(res.json).toEqual({ data: { a: 1, b: 2, c: 3 } });
      expect(names(res.setCookies)).toEqual(['session']);
      expect((await browser.get('/whoami')).json).toEqual({ visits: 3 });
      const again = await graphql(browser, 'mutation { visit }');
      expect(again.json).toEqual({ data: { visit: 4 } });
    });

    it('a large field is chunked; one past the limits is shrunk away, the rest kept', async () => {
      const browser = new TestBrowser(running.url);
      await browser.post('/login', { user: 'ada' });
      const notes = randomBytes(2000).toString('hex');
      const chunked = await graphql(browser, 'mutation ($n: String!) { setNotes(notes: $n) }', {
        n: notes,
      });
      expect(chunked.json).toEqual({ data: { setNotes: 4000 } });
      expect(names(chunked.setCookies)).toEqual(['session', 'session.1']);
      for (const line of chunked.setCookies) {
        expect(line).toMatch(new RegExp(`^session(\\.1)?=[A-Za-z0-9_.-]+${ATTRIBUTES}$`));
        expect(line.slice(0, line.indexOf(';')).length).toBeLessThanOrEqual(4096);
      }
      expect((await browser.get('/whoami')).json).toEqual({ user: 'ada', notes });

      // 9000 bytes of notes cannot fit 8000 bytes of Cookie header: phase 2 removes the key.
      const tooBig = 'y'.repeat(9000);
      const shrunk = await graphql(browser, 'mutation ($n: String!) { setNotes(notes: $n) }', {
        n: tooBig,
      });
      expect(shrunk.json).toEqual({ data: { setNotes: 9000 } });
      expect(names(shrunk.setCookies)).toEqual(['session', 'session.1']);
      expect(shrunk.setCookies[1]).toMatch(
        /^session\.1=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
      );
      expect((await browser.get('/whoami')).json).toEqual({ user: 'ada' });
    });

    it('logout through a mutation deletes the cookies; the next request is signed out', async () => {
      const browser = new TestBrowser(running.url);
      await browser.post('/login', { user: 'ada' });
      const out = await graphql(browser, 'mutation { logout }');
      expect(out.json).toEqual({ data: { logout: true } });
      expect(out.setCookies).toEqual([
        'session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
      ]);
      expect(await browser.cookies()).toEqual(new Map());
      expect((await graphql(browser, '{ me isNew }')).json).toEqual({
        data: { me: null, isNew: true },
      });
    });
  });

  await describeWithServer(
    { name: 'Redis', host: '127.0.0.1', port: 6379, start: 'redis-server --daemonize yes' },
    `GraphQL (${title}): a Redis partition`,
    () => {
      const prefix = `gql-${randomId()}:`;
      let client: Redis;
      let running: RunningApp;

      beforeAll(async () => {
        client = await connectRedis();
        running = await startNestApp(
          graphqlModule(
            {
              secret: SECRET,
              sessions: [
                {
                  cookieName: 'sid',
                  fields: ['user', 'role'],
                  store: new RedisStore({ client, prefix }),
                },
                { cookieName: 'session', fields: 'auto' },
              ],
            },
            driver,
          ),
          APP,
        );
      });
      afterAll(async () => {
        await running.close();
        await deleteKeys(client, `${prefix}*`);
        client.disconnect();
      });

      it('a resolver reads the store partition; a mutation writes the record; the next request sees it', async () => {
        const browser = new TestBrowser(running.url);
        const login = await browser.post('/login', { user: 'ada' });
        expect(names(login.setCookies)).toEqual(['sid']);
        const keys = await client.keys(`${prefix}*`);
        expect(keys).toHaveLength(1);
        expect(JSON.parse((await client.get(keys[0]!))!)).toEqual({ user: 'ada' });

        expect((await graphql(browser, '{ me }')).json).toEqual({ data: { me: 'ada' } });
        const set = await graphql(browser, 'mutation { setRole(role: "editor") visit }');
        expect(set.json).toEqual({ data: { setRole: true, visit: 1 } });
        // The store partition re-seals its id; the catch-all gets its first cookie.
        expect(names(set.setCookies).sort()).toEqual(['session', 'sid']);
        expect(await client.keys(`${prefix}*`)).toEqual(keys);
        expect(JSON.parse((await client.get(keys[0]!))!)).toEqual({ user: 'ada', role: 'editor' });
        expect((await browser.get('/whoami')).json).toEqual({
          user: 'ada',
          role: 'editor',
          visits: 1,
        });

        const out = await graphql(browser, 'mutation { logout }');
        expect(out.json).toEqual({ data: { logout: true } });
        expect(await client.keys(`${prefix}*`)).toEqual([]);
        expect(await browser.cookies()).toEqual(new Map());
      });
    },
  );

  describe(`GraphQL (${title}): a failing store`, () => {
    const STORE_TIMEOUT = 300;
    let redis: PrivateRedis;
    let client: Redis;
    let running: RunningApp;
    const logger = new CaptureLogger();

    beforeAll(async () => {
      redis = await PrivateRedis.create();
      client = await connectRedis(redis.port);
      running = await startNestApp(
        graphqlModule(
          {
            secret: SECRET,
            storeTimeout: STORE_TIMEOUT,
            sessions: [
              { cookieName: 'sid', fields: ['user', 'role'], store: new RedisStore({ client }) },
              { cookieName: 'session', fields: 'auto' },
            ],
          },
          driver,
        ),
        { ...APP, configure: (app) => app.useLogger(logger) },
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

    it('a store write that times out answers 503 with a GraphQL error body; no cookie changes', async () => {
      const browser = new TestBrowser(running.url);
      redis.freeze();
      // Both mutations ran; the session is written once, after them, and that write fails (a
      // frozen Redis never answers: only `storeTimeout` ends the wait, so a hang fails the test).
      const res = await graphql(browser, 'mutation { visit setRole(role: "admin") }');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.json).toEqual(storeFailureBody);
      // Not even the catch-all's change from `visit` goes out: the response writes no cookie.
      expect(res.setCookies).toEqual([]);
      expect(logger.errors).toEqual([
        `Session store unavailable: set in the store of "sid" failed: no answer within ${STORE_TIMEOUT} ms (storeTimeout)`,
      ]);

      redis.thaw();
      const again = await graphql(browser, 'mutation { setRole(role: "admin") }');
      expect(again.json).toEqual({ data: { setRole: true } });
      expect(names(again.setCookies)).toEqual(['sid']);
    });

    it('a store read that fails answers 503 before GraphQL runs, with the same body as HTTP routes', async () => {
      const browser = new TestBrowser(running.url);
      await browser.post('/login', { user: 'ada' });
      redis.freeze();
      const res = await graphql(browser, '{ me }');
      expect(res.status).toBe(503);
      expect(res.json).toEqual(UNAVAILABLE_BODY);
      expect(res.setCookies).toEqual([]);
      redis.thaw();
      expect((await graphql(browser, '{ me }')).json).toEqual({ data: { me: 'ada' } });
    });
  });
}
