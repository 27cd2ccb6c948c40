import type { Client } from 'memjs';

import { ChunkedSessionOptionsError } from '../errors/errors.js';
import type { SessionStore } from './session-store.js';

export interface MemcachedStoreOptions {
  /** A memjs client, as `memjs.Client.create('host:11211')` makes it. */
  client: Client;
  /** Put before every id to make the key. Default `'session:'`. */
  prefix?: string;
}

/** Memcached reads an expiry above 30 days as a Unix time, not as seconds from now. */
const MAX_RELATIVE_EXPIRY = 60 * 60 * 24 * 30;

/**
 * Keeps each session as a JSON string under `<prefix><id>` in Memcached, through the user's
 * memjs client (memjs is an optional peer dependency, only its types are imported here).
 * Memcached may evict a record before its TTL when it runs out of memory (the session then
 * reads as empty), keeps at most 1 MB per item by default, and cannot list its keys: this store
 * has no `ids()` and no `prune()` (Memcached expires records itself).
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

  constructor(options: MemcachedStoreOptions) {
    const { client, prefix = 'session:' } = (options ?? {}) as Partial<MemcachedStoreOptions>;
    if (
      client === undefined ||
      client === null ||
      typeof (client as { get?: unknown }).get !== 'function' ||
      typeof (client as { set?: unknown }).set !== 'function' ||
      typeof (client as { delete?: unknown }).delete !== 'function'
    ) {
      throw new ChunkedSessionOptionsError(
        'MemcachedStore.client',
        client === undefined || client === null ? 'is missing' : 'is not a memjs client',
        "Pass a memjs client: new MemcachedStore({ client: memjs.Client.create('127.0.0.1:11211') }) with `import memjs from 'memjs'`.",
      );
    }
    if (typeof prefix !== 'string' || /[\s\x00-\x1f\x7f]/.test(prefix)) {
      throw new ChunkedSessionOptionsError(
        'MemcachedStore.prefix',
        'must be a string without spaces or control characters',
        "Pass a key prefix such as 'session:', or leave it out for the default.",
      );
    }
    this.client = client;
    this.prefix = prefix;
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    const { value } = await this.client.get(this.key(id));
    if (value === null || value === undefined) return undefined;
    return parseRecord(Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
  }

  async set(id: string, data: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    const ok = await this.client.set(this.key(id), JSON.stringify(data), {
      expires: expiry(ttlSeconds),
    });
    if (!ok) throw new Error('MemcachedStore: memcached refused to store the record');
  }

  async destroy(id: string): Promise<void> {
    // Resolves false when there was no such key, which is not an error.
    await this.client.delete(this.key(id));
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    const key = this.key(id);
    const expires = expiry(ttlSeconds);
    // Resolves false when the key does not exist: nothing to renew.
    if (typeof this.client.touch === 'function') {
      await this.client.touch(key, expires);
      return;
    }
    // Clients without touch: read and write back (a write in between may be lost).
    const { value } = await this.client.get(key);
    if (value === null || value === undefined) return;
    await this.client.set(key, value, { expires });
  }

  private key(id: string): string {
    return this.prefix + id;
  }
}

/** Memcached's expiry: whole seconds from now, at least 1 (0 would mean never), or a Unix time. */
function expiry(ttlSeconds: number): number {
  if (typeof ttlSeconds !== 'number' || Number.isNaN(ttlSeconds)) {
    throw new TypeError(`MemcachedStore: ttlSeconds must be a number (got ${String(ttlSeconds)})`);
  }
  const seconds = Math.max(1, Math.ceil(ttlSeconds));
  if (seconds <= MAX_RELATIVE_EXPIRY) return seconds;
  return Math.min(Math.floor(Date.now() / 1000) + seconds, 2 ** 32 - 1);
}

/** A corrupt or foreign value reads as no record. */
function parseRecord(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Not JSON.
  }
  return undefined;
}
