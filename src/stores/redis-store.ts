import type { Cluster, Redis } from 'ioredis';

import { ChunkedSessionOptionsError } from '../errors/errors.js';
import type { SessionStore } from './session-store.js';
import {
  checkId,
  checkTtl,
  parseRecord,
  reaching,
  recordToJson,
  requireClient,
} from './store-support.js';

const STORE = 'RedisStore';

export interface RedisStoreOptions {
  /** A connected ioredis client: a `Redis` (standalone or Sentinel) or a `Cluster`. */
  client: Redis | Cluster;
  /** Put before every id to make the key. Default `'session:'`. */
  prefix?: string;
}

/**
 * Keeps each session as a JSON string under `<prefix><id>` with a TTL (`SET key json EX ttl`),
 * in Redis, Redis Sentinel or Redis Cluster through the user's ioredis client (ioredis is an
 * optional peer dependency, only its types are imported here).
 *
 * Redis expires keys itself, so there is no `prune()`. A key is only the prefix and the id
 * (no hash tags), so keys spread over a Cluster's slots; `ids()` SCANs every master of a Cluster.
 * The client's `keyPrefix` option, if any, is honoured by `ids()` as well.
 *
 * When Redis goes away, what a command does is the client's setting, not the store's:
 * by default ioredis queues commands while it reconnects and fails them only after
 * `maxRetriesPerRequest` (20) reconnection attempts — and a queued write still runs once Redis
 * is back, after the request that sent it has already failed. The library's `storeTimeout`
 * fails the request meanwhile (HTTP 503). So that commands fail at once instead, create the
 * client with
 *
 * ```ts
 * new Redis({ enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1000 });
 * new Cluster(nodes, { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 1000 } });
 * ```
 *
 * (`enableOfflineQueue: false` needs the client connected before the first request: use
 * `lazyConnect: true` and `await client.connect()` at start-up, or wait for its `ready` event.)
 * Listen for the client's `error` event (ioredis logs unhandled ones) and leave `retryStrategy`
 * at its default so the client reconnects by itself when Redis returns. A Redis that restarts
 * without persistence comes back empty: its sessions then read as empty.
 */
export class RedisStore implements SessionStore {
  readonly client: Redis | Cluster;
  readonly prefix: string;

  constructor(options: RedisStoreOptions) {
    const { client, prefix = 'session:' } = (options ?? {}) as Partial<RedisStoreOptions>;
    this.client = requireClient(
      'RedisStore.client',
      client,
      ['get', 'set'],
      'an ioredis client',
      "Pass a connected ioredis client: new RedisStore({ client: new Redis(process.env.REDIS_URL) }) with `import { Redis } from 'ioredis'`.",
    );
    if (typeof prefix !== 'string') {
      throw new ChunkedSessionOptionsError(
        'RedisStore.prefix',
        `must be a string (got ${typeof prefix})`,
        "Pass a key prefix such as 'session:', or leave it out for the default.",
      );
    }
    this.prefix = prefix;
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    const key = this.key(id);
    const json = await reaching(STORE, () => this.client.get(key));
    return json === null || json === undefined ? undefined : parseRecord(json);
  }

  async set(id: string, data: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    const key = this.key(id);
    const json = recordToJson(STORE, data);
    const seconds = wholeSeconds(ttlSeconds);
    await reaching(STORE, () => this.client.set(key, json, 'EX', seconds));
  }

  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    await reaching(STORE, () => this.client.del(key));
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    const key = this.key(id);
    const seconds = wholeSeconds(ttlSeconds);
    await reaching(STORE, () => this.client.expire(key, seconds));
  }

  /**
   * Every live id, found with SCAN (on every master of a Cluster). Each id is yielded once,
   * though SCAN may see a key twice; a key created or deleted during the scan may or may not
   * appear, as SCAN guarantees.
   */
  async *ids(): AsyncIterable<string> {
    const keyPrefix = (this.client.options as { keyPrefix?: string }).keyPrefix ?? '';
    const fullPrefix = keyPrefix + this.prefix;
    const pattern = escapeGlob(fullPrefix) + '*';
    const nodes: Redis[] = isCluster(this.client) ? this.client.nodes('master') : [this.client];
    const seen = new Set<string>();
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await reaching(STORE, () =>
          node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000),
        );
        cursor = next;
        for (const key of keys) {
          if (!key.startsWith(fullPrefix)) continue;
          const id = key.slice(fullPrefix.length);
          if (seen.has(id)) continue;
          seen.add(id);
          yield id;
        }
      } while (cursor !== '0');
    }
  }

  private key(id: string): string {
    checkId(STORE, id);
    return this.prefix + id;
  }
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** Redis wants a whole, positive number of seconds; a record is kept at least one second. */
function wholeSeconds(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(checkTtl(STORE, ttlSeconds)));
}

/** Escapes the characters that SCAN's MATCH treats as glob syntax. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => '\\' + c);
}
