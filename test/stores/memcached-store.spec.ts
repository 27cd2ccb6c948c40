import { createConnection } from 'node:net';

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import memjs from 'memjs';

import {
  ChunkedSessionOptionsError,
  SessionStoreUnavailableError,
} from '../../src/errors/errors.js';
import { MemcachedStore } from '../../src/stores/memcached-store.js';
import { freePort } from '../support/private-servers.js';
import { describeWithServer } from '../support/require-server.js';
import { describeStoreConformance, randomId } from './store-conformance.js';

const HOST = '127.0.0.1';
const PORT = 11211;
const quiet = { log: () => undefined };

function connect(
  port = PORT,
  options: memjs.ClientOptions & memjs.ServerOptions = {},
): memjs.Client {
  return memjs.Client.create(`${HOST}:${port}`, {
    logger: quiet,
    timeout: 1,
    retries: 1,
    ...options,
  });
}

/** The remaining TTL of a key in seconds (-1: none), read with the text protocol's meta get. */
function memcachedTtl(key: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port: PORT });
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk;
      if (!reply.includes('\r\n')) return;
      socket.end('quit\r\n');
      const match = /^HD t(-?\d+)/.exec(reply);
      resolve(match ? Number(match[1]) : undefined);
    });
    socket.write(`mg ${key} t\r\n`);
  });
}

/** The same client without `touch`, as some memjs-like clients are. */
function withoutTouch(client: memjs.Client): memjs.Client {
  return {
    get: client.get.bind(client),
    set: client.set.bind(client),
    delete: client.delete.bind(client),
  } as unknown as memjs.Client;
}

await describeWithServer(
  {
    name: 'memcached',
    host: HOST,
    port: PORT,
    start: 'memcached -d -u root -l 127.0.0.1 -p 11211',
  },
  'MemcachedStore',
  () => {
    let client: memjs.Client;

    beforeAll(() => {
      client = connect();
    });

    afterAll(() => {
      client.close();
    });

    // Memcached counts time in whole seconds: a 1-second TTL can take up to 2 seconds to pass.
    describeStoreConformance(
      'MemcachedStore',
      async () => {
        const own = connect();
        return {
          store: new MemcachedStore({ client: own, prefix: `test:${randomId()}:` }),
          close: async () => own.close(),
        };
      },
      {
        touch: true,
        ids: false,
        prune: false,
        expiryWaitMs: 2100,
        unreachable: async () => {
          const down = connect(await freePort(), { retries: 0, conntimeout: 1 });
          return { store: new MemcachedStore({ client: down }), close: async () => down.close() };
        },
      },
    );

    it('refuses a missing or wrong client, or a bad prefix, naming the option and the fix', () => {
      const fix =
        "Pass a memjs client: new MemcachedStore({ client: memjs.Client.create('127.0.0.1:11211') }) with `import memjs from 'memjs'`.";
      expect(() => new MemcachedStore({} as never)).toThrow(
        `nestjs-chunked-session: option \`MemcachedStore.client\` is missing. ${fix}`,
      );
      expect(() => new MemcachedStore({ client: {} as never })).toThrow(
        `nestjs-chunked-session: option \`MemcachedStore.client\` is not a memjs client. ${fix}`,
      );
      expect(() => new MemcachedStore({ client, prefix: 'with space' })).toThrow(
        ChunkedSessionOptionsError,
      );
      expect(new MemcachedStore({ client }).prefix).toBe('session:');
    });

    it('keeps one key, prefix + id, holding JSON, with the TTL given; touch renews it', async () => {
      const prefix = `test:${randomId()}:`;
      const store = new MemcachedStore({ client, prefix });
      const id = randomId();
      await store.set(id, { a: [1, 'é'] }, 60);
      expect((await client.get(`${prefix}${id}`)).value?.toString('utf8')).toBe('{"a":[1,"é"]}');
      expect(await memcachedTtl(`${prefix}${id}`)).toBeGreaterThanOrEqual(58);
      expect(await memcachedTtl(`${prefix}${id}`)).toBeLessThanOrEqual(60);
      await store.touch(id, 3600);
      expect(await memcachedTtl(`${prefix}${id}`)).toBeGreaterThan(3590);
      await store.destroy(id);
      expect((await client.get(`${prefix}${id}`)).value).toBeNull();
    });

    it('sends a TTL over 30 days as a Unix time, so it is not read as a date in 1970', async () => {
      const store = new MemcachedStore({ client, prefix: `test:${randomId()}:` });
      const id = randomId();
      const fortyDays = 40 * 24 * 3600;
      await store.set(id, { long: true }, fortyDays);
      expect(await store.get(id)).toEqual({ long: true });
      const ttl = await memcachedTtl(`${store.prefix}${id}`);
      expect(ttl).toBeGreaterThan(fortyDays - 5);
      // memcached keeps its own clock, ticking once a second from its start: an absolute
      // expiry reads back up to a couple of seconds off. A date in 1970 would read as -1.
      expect(ttl).toBeLessThanOrEqual(fortyDays + 3);
      await store.destroy(id);
    });

    it('touches by reading and writing back when the client has no touch', async () => {
      const store = new MemcachedStore({
        client: withoutTouch(client),
        prefix: `test:${randomId()}:`,
      });
      const id = randomId();
      await store.set(id, { via: 'get+set' }, 60);
      await store.touch(id, 3600);
      expect(await memcachedTtl(`${store.prefix}${id}`)).toBeGreaterThan(3590);
      expect(await store.get(id)).toEqual({ via: 'get+set' });
      const missing = randomId();
      await store.touch(missing, 3600);
      expect(await store.get(missing)).toBeUndefined();
      await store.destroy(id);
    });

    it('reads a corrupt or foreign value as undefined', async () => {
      const prefix = `test:${randomId()}:`;
      const store = new MemcachedStore({ client, prefix });
      const [torn, list] = [randomId(), randomId()];
      await client.set(`${prefix}${torn}`, '{"a":', { expires: 60 });
      await client.set(`${prefix}${list}`, '[1,2]', { expires: 60 });
      expect(await store.get(torn)).toBeUndefined();
      expect(await store.get(list)).toBeUndefined();
    });

    it('a record over the item size limit rejects with a clear error, and the old record stays (issue 14)', async () => {
      const store = new MemcachedStore({ client, prefix: `test:${randomId()}:` });
      const id = randomId();
      await store.set(id, { before: 'the big write' }, 60);
      // 1 MiB of JSON: with the key and the item header, past memcached's default -I of 1 MiB.
      const big = { text: 'x'.repeat(1024 * 1024 - '{"text":""}'.length) };
      const error = await store.set(id, big, 60).then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect((error as Error).message).toBe(
        'MemcachedStore: the record is too large for memcached: ' +
          `${1024 * 1024 + store.prefix.length + id.length + 64} bytes with key and item header, ` +
          'over its item size limit of 1048576 bytes (memcached -I, 1 MiB by default). ' +
          'Keep less in this partition, or raise -I and pass it as maxItemBytes.',
      );
      // memcached itself would have deleted the old record on its "Value too large".
      expect(await store.get(id)).toEqual({ before: 'the big write' });
      await store.destroy(id);
    });

    it('maxItemBytes: a record within a raised limit is sent, and the server has the last word', async () => {
      const store = new MemcachedStore({
        client,
        prefix: `test:${randomId()}:`,
        maxItemBytes: 2 * 1024 * 1024,
      });
      const id = randomId();
      await store.set(id, { small: true }, 60);
      // This memcached runs with the default -I 1m: it refuses what the store let through.
      await expect(store.set(id, { text: 'x'.repeat(1024 * 1024) }, 60)).rejects.toMatchObject({
        code: 'ERR_SESSION_STORE_UNAVAILABLE',
        message: 'MemcachedStore: MemJS SET: Value too large',
      });
      expect(() => new MemcachedStore({ client, maxItemBytes: 10 })).toThrow(
        'nestjs-chunked-session: option `MemcachedStore.maxItemBytes` must be a whole number of bytes above 64 (got 10). ' +
          "Pass memcached's item size limit (its -I option) in bytes, such as 1048576, or leave it out for the default.",
      );
    });

    it('rejects (does not hang) when memcached is unreachable', async () => {
      const down = connect(await freePort(), { retries: 0, conntimeout: 1 });
      try {
        const store = new MemcachedStore({ client: down });
        const started = Date.now();
        await expect(store.get(randomId())).rejects.toThrow(/^MemcachedStore: .*ECONNREFUSED/);
        await expect(store.set(randomId(), {}, 60)).rejects.toThrow(/ECONNREFUSED/);
        expect(Date.now() - started).toBeLessThan(1000);
      } finally {
        down.close();
      }
    });
  },
);
