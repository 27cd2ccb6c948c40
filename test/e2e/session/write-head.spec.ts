/**
 * `res.writeHead(status, headers)` with the application's own `Set-Cookie` among the headers, in
 * the Express middleware and in a Nest `@Res()` handler: the headers passed to `writeHead` are
 * applied first, the session's lines merged once after them, so neither the application's
 * cookies nor the session's (nor, after `destroy()`, its deletions) are lost. And the response is
 * held only while a store call runs: then `write` says `false` and `'drain'` follows.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryStore, type ChunkedSessionOptions, type SessionStore } from '../../../src/index.js';
import { startNestApp } from '../../support/nest-app.js';
import { SECRET } from '../fixtures/secrets.js';
import {
  expressWriteHeadApp,
  nestWriteHeadModule,
  type RunningServer,
} from '../fixtures/write-head-routes.js';
import { JarClient, lineName } from '../limits/jar-client.js';

const ATTRS = '; Path=/; HttpOnly; SameSite=Lax';
const DELETE =
  '=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';
const SESSION_LINE = new RegExp(`^session=1\\.[A-Za-z0-9_-]+${ATTRS}$`);
const SID_LINE = new RegExp(`^sid=1\\.[A-Za-z0-9_-]+${ATTRS}$`);

/** A MemoryStore whose calls answer after a pause: the response must wait for them. */
function slowStore(ms: number): SessionStore {
  const inner = new MemoryStore();
  const pause = () => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    get: async (id) => (await pause(), inner.get(id)),
    set: async (id, data, ttl) => (await pause(), inner.set(id, data, ttl)),
    destroy: async (id) => (await pause(), inner.destroy(id)),
    touch: async (id, ttl) => (await pause(), inner.touch(id, ttl)),
  };
}

const platforms: [string, (options: ChunkedSessionOptions) => Promise<RunningServer>][] = [
  ['the Express middleware', expressWriteHeadApp],
  // Node's writeHead on Express's response: on Fastify a handler answers with reply.send()
  // (a reply.raw write is not saved; test/e2e/session/fastify-platform.spec.ts).
  [
    'the Nest module, @Res()',
    (options) => startNestApp(nestWriteHeadModule(options), { platform: 'express' }),
  ],
];

describe.each(platforms)('writeHead in %s', (_, start) => {
  describe('cookie partition', () => {
    let running: RunningServer;
    beforeAll(async () => {
      running = await start({ secret: SECRET });
    });
    afterAll(() => running.close());

    it("keeps the application's cookie and adds the session's after it", async () => {
      const client = new JarClient(running.url);
      const res = await client.get('/login');
      expect(res.status).toBe(200);
      expect(res.text).toBe('signed in');
      expect(res.setCookies).toHaveLength(2);
      expect(res.setCookies[0]).toBe('theme=dark; Path=/');
      expect(res.setCookies[1]).toMatch(SESSION_LINE);
      expect((await client.get('/read')).json).toEqual({ data: { user: 'alice' } });
      expect((await client.cookies()).map((c) => c.name).sort()).toEqual(['session', 'theme']);
    });

    it('keeps a reason phrase and an array of cookies', async () => {
      const client = new JarClient(running.url);
      const res = await client.get('/login-many');
      expect(res.status).toBe(201);
      expect(res.setCookies.slice(0, 2)).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
      expect(res.setCookies[2]).toMatch(SESSION_LINE);
      expect(res.setCookies).toHaveLength(3);
      expect((await client.get('/read')).json).toEqual({ data: { user: 'bob' } });
    });

    it("deletes the session after destroy(), beside the application's cookie", async () => {
      const client = new JarClient(running.url);
      await client.get('/login');
      const res = await client.post('/logout');
      expect(res.status).toBe(200);
      expect(res.setCookies).toEqual(['flash=bye; Path=/', `session${DELETE}`]);
      expect((await client.get('/read')).json).toEqual({ data: {} });
      expect((await client.cookies()).map((c) => c.name).sort()).toEqual(['flash', 'theme']);
    });

    it('holds nothing: the head goes with the first write, which the socket takes at once', async () => {
      const client = new JarClient(running.url);
      const res = await client.get('/stream');
      expect(res.text).toBe('a-b:true:true');
      expect(res.setCookies).toHaveLength(1);
      expect(res.setCookies[0]).toMatch(SESSION_LINE);
    });
  });

  describe('store partition (the response waits for the store)', () => {
    let running: RunningServer;
    beforeAll(async () => {
      running = await start({
        secret: SECRET,
        sessions: [{ cookieName: 'sid', fields: 'auto', store: slowStore(30) }],
      });
    });
    afterAll(() => running.close());

    it("merges the session's cookie after the application's once the store has answered", async () => {
      const client = new JarClient(running.url);
      const res = await client.get('/login');
      expect(res.status).toBe(200);
      expect(res.setCookies).toHaveLength(2);
      expect(res.setCookies[0]).toBe('theme=dark; Path=/');
      expect(res.setCookies[1]).toMatch(SID_LINE);
      expect((await client.get('/read')).json).toEqual({ data: { user: 'alice' } });
    });

    it('deletes the cookie and the record after destroy()', async () => {
      const client = new JarClient(running.url);
      await client.get('/login');
      const res = await client.post('/logout');
      expect(res.setCookies).toEqual(['flash=bye; Path=/', `sid${DELETE}`]);
      expect((await client.get('/read')).json).toEqual({ data: {} });
    });

    it("holds the body while the store writes: write says false, then 'drain' follows", async () => {
      const client = new JarClient(running.url);
      const res = await client.get('/stream');
      expect(res.status).toBe(200);
      // false: the first write waited (headers not sent); the handler ended on 'drain'.
      expect(res.text).toBe('a-b:false:false');
      expect(res.setCookies.map(lineName)).toEqual(['sid']);
      expect((await client.get('/read')).json).toEqual({ data: { streamed: true } });
    });
  });
});
