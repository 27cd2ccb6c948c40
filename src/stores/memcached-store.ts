import type { Client } from 'memjs';

import { ChunkedSessionOptionsError, SessionStoreUnavailableError } from '../errors/errors.js';
import type { SessionStore } from './session-store.js';
import {
  checkId,
  checkTtl,
  parseRecord,
  reaching,
  recordToJson,
  requireClient,
} from './store-support.js';

const STORE = 'MemcachedStore';

export interface MemcachedStoreOptions {
  /** A memjs client, as `memjs.Client.create('host:11211')` makes it. */
  client: Client;
  /** Put before every id to make the key. Default `'session:'`. */
  prefix?: string;
  /**
   * The largest item the server accepts, in bytes: memcached's `-I` (`item_size_max`).
   * Default 1048576 (1 MiB, memcached's default).
   */
  maxItemBytes?: number;
}

/**
 * What memcached adds to key and value in an item: measured 59 bytes on memcached 1.6 with CAS
 * (a 30-byte key took a value of at most 1048487 bytes under `-I 1m`); rounded up.
 */
const ITEM_HEADER_BYTES = 64;

/** Memcached reads an expiry above 30 days as a Unix time, not as seconds from now. */
const MAX_RELATIVE_EXPIRY = 60 * 60 * 24 * 30;

/**
 * Keeps each session as a JSON string under `<prefix><id>` in Memcached, through the user's
 * memjs client (memjs is an optional peer dependency, only its types are imported here).
 * Memcached may evict a record before its TTL when it runs out of memory (the session then
 * reads as empty), and cannot list its keys: this store has no `ids()` and no `prune()`
 * (Memcached expires records itself).
 *
 * An item holds at most `-I` bytes (1 MiB by default), key and item header included. A record
 * too large for it is refused before it is sent, with `SessionStoreUnavailableError` saying so:
 * memcached itself would answer "Value too large" and delete the record already stored under
 * that key, so the session would be lost on the next request. The old record stays. Set
 * `maxItemBytes` when the server runs with another `-I`.
 *
 * When Memcached goes away, memjs does not queue commands: each one fails once its connection
 * attempt is refused or times out (`conntimeout`, default twice `timeout`; a reply is awaited
 * `timeout` seconds, default 0.5), after `retries` attempts in all (default 2, `retry_delay`
 * 0.2 s apart). Once Memcached answers again the next command reconnects by itself — with every
 * record gone if the server restarted (it keeps nothing on disk): those sessions read as empty.
 * With `failover: true` and several servers, a failed server is skipped for `failoverTime`
 * seconds. Suggested client settings, so a command fails within about a second:
 * `memjs.Client.create(servers, { timeout: 0.5, conntimeout: 1, retries: 1, keepAlive: true })`;
 * the library's `storeTimeout` fails a request that waits longer.
 */
export class MemcachedStore implements SessionStore {
  readonly client: Client;
  readonly prefix: string;
  readonly maxItemBytes: number;

  constructor(options: MemcachedStoreOptions) {
    const {
      client,
      prefix = 'session:',
      maxItemBytes = 1024 * 1024,
    } = (options ?? {}) as Partial<MemcachedStoreOptions>;
    this.client = requireClient(
      'MemcachedStore.client',
      client,
      ['get', 'set', 'delete'],
      'a memjs client',
      "Pass a memjs client: new MemcachedStore({ client: memjs.Client.create('127.0.0.1:11211') }) with `import memjs from 'memjs'`.",
    );
    if (typeof prefix !== 'string' || /[\s\x00-\x1f\x7f]/.test(prefix)) {
      throw new ChunkedSessionOptionsError(
        'MemcachedStore.prefix',
        'must be a string without spaces or control characters',
        "Pass a key prefix such as 'session:', or leave it out for the default.",
      );
    }
    if (
      typeof maxItemBytes !== 'number' ||
      !Number.isSafeInteger(maxItemBytes) ||
      maxItemBytes <= ITEM_HEADER_BYTES
    ) {
      throw new ChunkedSessionOptionsError(
        'MemcachedStore.maxItemBytes',
        `must be a whole number of bytes above ${ITEM_HEADER_BYTES} (got ${String(maxItemBytes)})`,
        "Pass memcached's item size limit (its -I option) in bytes, such as 1048576, or leave it out for the default.",
      );
    }
    this.prefix = prefix;
    this.maxItemBytes = maxItemBytes;
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    const key = this.key(id);
    const { value } = await reaching(STORE, () => this.client.get(key));
    if (value === null || value === undefined) return undefined;
    return parseRecord(Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
  }

  async set(id: string, data: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    const key = this.key(id);
    const json = recordToJson(STORE, data);
    const expires = expiry(ttlSeconds);
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(json) + ITEM_HEADER_BYTES;
    if (bytes > this.maxItemBytes) {
      throw new SessionStoreUnavailableError(
        `${STORE}: the record is too large for memcached: ${bytes} bytes with key and item ` +
          `header, over its item size limit of ${this.maxItemBytes} bytes (memcached -I, 1 MiB ` +
          'by default). Keep less in this partition, or raise -I and pass it as maxItemBytes.',
      );
    }
    const ok = await reaching(STORE, () => this.client.set(key, json, { expires }));
    if (!ok) throw new SessionStoreUnavailableError(`${STORE}: memcached refused the record`);
  }

  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    // Resolves false when there was no such key, which is not an error.
    await reaching(STORE, () => this.client.delete(key));
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    const key = this.key(id);
    const expires = expiry(ttlSeconds);
    const client = this.client;
    // Resolves false when the key does not exist: nothing to renew.
    if (typeof client.touch === 'function') {
      await reaching(STORE, () => client.touch(key, expires));
      return;
    }
    // Clients without touch: read and write back (a write in between may be lost).
    const { value } = await reaching(STORE, () => client.get(key));
    if (value === null || value === undefined) return;
    await reaching(STORE, () => client.set(key, value, { expires }));
  }

  private key(id: string): string {
    checkId(STORE, id);
    return this.prefix + id;
  }
}

/** Memcached's expiry: whole seconds from now, at least 1 (0 would mean never), or a Unix time. */
function expiry(ttlSeconds: number): number {
  const seconds = Math.max(1, Math.ceil(checkTtl(STORE, ttlSeconds)));
  if (seconds <= MAX_RELATIVE_EXPIRY) return seconds;
  return Math.min(Math.floor(Date.now() / 1000) + seconds, 2 ** 32 - 1);
}
