import { ChunkedSessionOptionsError } from '../errors/errors.js';
import type { SessionStore } from './session-store.js';
import { checkId, checkRecord, expiresAt, reasonOf } from './store-support.js';

const STORE = 'MemoryStore';

export interface MemoryStoreOptions {
  /**
   * The most records kept; beyond it the least recently used record is evicted.
   * Default 10000.
   */
  maxEntries?: number;
}

interface MemoryEntry {
  /** Milliseconds since the epoch after which the record is gone. */
  expires: number;
  data: Record<string, unknown>;
}

/**
 * Keeps records in this process's memory: for tests, development and single-process apps.
 * Records are lost on restart and not shared between processes.
 *
 * A `Map` in recency order serves as an LRU cache: `get` and `touch` move a record to the
 * most recent end; beyond `maxEntries` the least recently used record is evicted. Expiry is
 * checked on read (an expired record reads as `undefined` and is deleted); `prune()` sweeps the
 * rest. There is no timer, so the store never keeps the process alive.
 *
 * Records are deep-copied (`structuredClone`) on the way in and out: neither the caller's
 * object nor the object returned by `get` shares anything with what is stored. Every string
 * comes back exactly as given (NUL and lone surrogates included). Data that cannot be cloned
 * (a function, a symbol) rejects with a `TypeError` and leaves the old record in place.
 */
export class MemoryStore implements SessionStore {
  readonly maxEntries: number;
  private readonly entries = new Map<string, MemoryEntry>();

  constructor(options: MemoryStoreOptions = {}) {
    const { maxEntries = 10000 } = options ?? {};
    if (typeof maxEntries !== 'number' || !Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new ChunkedSessionOptionsError(
        'MemoryStore.maxEntries',
        `must be a positive integer (got ${String(maxEntries)})`,
        'Pass a whole number of records such as 10000, or leave it out for the default.',
      );
    }
    this.maxEntries = maxEntries;
  }

  /** How many records are held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    checkId(STORE, id);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.entries.delete(id);
      return undefined;
    }
    this.refresh(id, entry);
    return structuredClone(entry.data);
  }

  async set(id: string, data: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    checkId(STORE, id);
    // Clone first: data that cannot be cloned rejects and leaves the old record in place.
    const entry: MemoryEntry = { expires: expiresAt(STORE, ttlSeconds), data: clone(data) };
    this.refresh(id, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  async destroy(id: string): Promise<void> {
    checkId(STORE, id);
    this.entries.delete(id);
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    checkId(STORE, id);
    const expires = expiresAt(STORE, ttlSeconds);
    const entry = this.entries.get(id);
    if (!entry) return;
    if (entry.expires <= Date.now()) {
      this.entries.delete(id);
      return;
    }
    entry.expires = expires;
    this.refresh(id, entry);
  }

  /** Every live id, least recently used first. Does not change recency. */
  async *ids(): AsyncIterable<string> {
    const now = Date.now();
    // A snapshot, so that writes while the caller iterates cannot disturb the iteration.
    const live = [...this.entries].filter(([, entry]) => entry.expires > now).map(([id]) => id);
    yield* live;
  }

  async prune(): Promise<number> {
    const now = Date.now();
    let removed = 0;
    for (const [id, entry] of this.entries) {
      if (entry.expires <= now) {
        this.entries.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /** Moves `id` to the most recently used end of the map. */
  private refresh(id: string, entry: MemoryEntry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
  }
}

/** A deep copy of a record; what cannot be cloned is the caller's bug (a `TypeError`). */
function clone(data: Record<string, unknown>): Record<string, unknown> {
  checkRecord(STORE, data);
  try {
    return structuredClone(data);
  } catch (error) {
    throw new TypeError(`${STORE}: data cannot be copied: ${reasonOf(error)}`, { cause: error });
  }
}
