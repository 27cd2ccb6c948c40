/**
 * A server-side home for a partition's fields. Implement it to add a backend.
 * Every method may reject; a call that rejects or does not answer within `storeTimeout`
 * fails the request with `SessionStoreUnavailableError` (HTTP 503).
 *
 * The built-in stores reject with `SessionStoreUnavailableError` when their backend fails (the
 * client's error as `cause`) and with a `TypeError` only for a programming error (an id that is
 * not a non-empty string, data that is not a plain object, a `ttlSeconds` that is not a number);
 * each gives back exactly what JSON carries (see `store-support.ts`).
 */
export interface SessionStore {
  /** The record, or `undefined` when there is none (or it has expired). */
  get(id: string): Promise<Record<string, unknown> | undefined>;
  /** Replace the record; it may be forgotten after `ttlSeconds`. */
  set(id: string, data: Record<string, unknown>, ttlSeconds: number): Promise<void>;
  /** Delete the record; deleting a missing record is not an error. */
  destroy(id: string): Promise<void>;
  /** Renew the record's lifetime without rewriting it. */
  touch?(id: string, ttlSeconds: number): Promise<void>;
  /** Every live id. */
  ids?(): AsyncIterable<string>;
  /** Delete expired records; resolves to how many were deleted. */
  prune?(): Promise<number>;
}
