import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';

import { ChunkedSessionOptionsError } from '../../src/errors/errors.js';
import { RedisStore } from '../../src/stores/redis-store.js';
import { freePort } from '../support/private-servers.js';
import { connectRedis, deleteKeys } from '../support/redis.js';
import { describeWithServer } from '../support/require-server.js';
import { describeStoreConformance, randomId } from './store-conformance.js';

const HOST = '127.0.0.1';
const PORT = 6379;
/** Every key this run writes starts with it; afterAll deletes them all. */
const RUN_PREFIX = `chunked-session-test:${randomId()}:`;

await describeWithServer(
  {
    name: 'Redis',
    host: HOST,
    port: PORT,
    start: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  },
  'RedisStore (standalone)',
  () => {
    let admin: Redis;

    beforeAll(async () => {
      admin = await connectRedis(PORT);
    });

    afterAll(async () => {
      await deleteKeys(admin, `${RUN_PREFIX}*`);
      await admin.quit();
    });

    describeStoreConformance(
      'RedisStore',
      async () => {
        const client = await connectRedis(PORT);
        const prefix = `${RUN_PREFIX}${randomId()}:`;
        return {
          store: new RedisStore({ client, prefix }),
          close: async () => {
            await deleteKeys(client, `${prefix}*`);
            await client.quit();
          },
        };
      },
      {
        touch: true,
        ids: true,
        prune: false,
        unreachable: async () => {
          // The client settings the store's documentation suggests, on a port nothing listens on.
          const client = new Redis({
            host: HOST,
            port: await freePort(),
            enableOfflineQueue: false,
            maxRetriesPerRequest: 1,
            retryStrategy: () => 50,
          });
          client.on('error', () => undefined);
          return { store: new RedisStore({ client }), close: async () => client.disconnect() };
        },
      },
    );

    it('refuses a missing or wrong client with an error naming the option and the fix', () => {
      const fix =
        "Pass a connected ioredis client: new RedisStore({ client: new Redis(process.env.REDIS_URL) }) with `import { Redis } from 'ioredis'`.";
      expect(() => new RedisStore(undefined as never)).toThrow(ChunkedSessionOptionsError);
      expect(() => new RedisStore({} as never)).toThrow(
        `nestjs-chunked-session: option \`RedisStore.client\` is missing. ${fix}`,
      );
      expect(() => new RedisStore({ client: { url: 'redis://x' } } as never)).toThrow(
        `nestjs-chunked-session: option \`RedisStore.client\` is not an ioredis client. ${fix}`,
      );
      expect(() => new RedisStore({ client: admin, prefix: 5 as never })).toThrow(
        'nestjs-chunked-session: option `RedisStore.prefix` must be a string (got number).',
      );
      expect(new RedisStore({ client: admin }).prefix).toBe('session:');
    });

    it('keeps one key, prefix + id, holding JSON, with the TTL given; touch renews it', async () => {
      const prefix = `${RUN_PREFIX}${randomId()}:`;
      const store = new RedisStore({ client: admin, prefix });
      const id = randomId();
      await store.set(id, { a: [1, 'é'] }, 60);
      expect(await admin.keys(`${prefix}*`)).toEqual([`${prefix}${id}`]);
      expect(await admin.get(`${prefix}${id}`)).toBe('{"a":[1,"é"]}');
      const ttl = await admin.ttl(`${prefix}${id}`);
      expect(ttl).toBeGreaterThan(55);
      expect(ttl).toBeLessThanOrEqual(60);
      await store.touch(id, 3600);
      expect(await admin.ttl(`${prefix}${id}`)).toBeGreaterThan(3590);
      // Fractions of a second round up: Redis wants whole seconds.
      await store.set(id, { b: 1 }, 0.2);
      expect(await admin.ttl(`${prefix}${id}`)).toBe(1);
      await store.destroy(id);
      expect(await admin.exists(`${prefix}${id}`)).toBe(0);
    });

    it('reads a corrupt or foreign value as undefined', async () => {
      const prefix = `${RUN_PREFIX}${randomId()}:`;
      const store = new RedisStore({ client: admin, prefix });
      const [torn, list, text] = [randomId(), randomId(), randomId()];
      await admin.set(`${prefix}${torn}`, '{"a":', 'EX', 60);
      await admin.set(`${prefix}${list}`, '[1,2]', 'EX', 60);
      await admin.set(`${prefix}${text}`, 'hello', 'EX', 60);
      expect(await store.get(torn)).toBeUndefined();
      expect(await store.get(list)).toBeUndefined();
      expect(await store.get(text)).toBeUndefined();
    });

    it('ids matches its prefix literally, even with glob characters in it', async () => {
      const base = `${RUN_PREFIX}${randomId()}:`;
      const store = new RedisStore({ client: admin, prefix: `${base}*?[x]\\:` });
      const id = randomId();
      await store.set(id, {}, 60);
      // Keys the glob `*?[x]\` would match if it were not escaped.
      await admin.set(`${base}ab\\:${randomId()}`, '{}', 'EX', 60);
      await admin.set(`${base}zzx\\:${randomId()}`, '{}', 'EX', 60);
      const ids: string[] = [];
      for await (const each of store.ids()) ids.push(each);
      expect(ids).toEqual([id]);
    });

    it("honours the client's keyPrefix in ids", async () => {
      const keyPrefix = `${RUN_PREFIX}${randomId()}:`;
      const client = await connectRedis(PORT, { keyPrefix });
      try {
        const store = new RedisStore({ client, prefix: 'sess:' });
        const id = randomId();
        await store.set(id, { a: 1 }, 60);
        expect(await admin.exists(`${keyPrefix}sess:${id}`)).toBe(1);
        const ids: string[] = [];
        for await (const each of store.ids()) ids.push(each);
        expect(ids).toEqual([id]);
        expect(await store.get(id)).toEqual({ a: 1 });
      } finally {
        await client.quit();
      }
    });

    it('with enableOfflineQueue: false, rejects at once when Redis is unreachable (no hang)', async () => {
      const client = new Redis({
        host: HOST,
        port: await freePort(), // nothing listens there
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        retryStrategy: () => 50,
      });
      client.on('error', () => undefined);
      try {
        const store = new RedisStore({ client });
        const started = Date.now();
        await expect(store.get(randomId())).rejects.toThrow(/^RedisStore: Stream isn't writeable/);
        await expect(store.set(randomId(), {}, 60)).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(500);
      } finally {
        client.disconnect();
      }
    });
  },
);
