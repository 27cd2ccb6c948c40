import type { Sealer } from '../codec/sealer.js';

/**
 * Pieces of delta sets that this process sealed or opened, by their exact cookie value, so that
 * the pieces a browser sends back unchanged (most of them, request after request) are not
 * decrypted and hashed again. Only a value that was sealed here or opened (authenticated) is
 * ever added, and a hit needs the same value, character for character, under the same seal name
 * and sealer: it is exactly a value that was authenticated. Least recently used first out.
 */
export interface CachedPiece {
  sealName: string;
  plaintext: Buffer;
  digest: Buffer;
  keyIndex: number;
}

/** About 1 KB per entry (a value of up to ~2 KB of one-byte characters and its plaintext). */
export const PIECE_CACHE_ENTRIES = 4096;

const caches = new WeakMap<Sealer, Map<string, CachedPiece>>();

export function cachedPiece(
  sealer: Sealer,
  sealName: string,
  value: string,
): CachedPiece | undefined {
  const cache = caches.get(sealer);
  const entry = cache?.get(value);
  if (!entry || entry.sealName !== sealName) return undefined;
  cache!.delete(value);
  cache!.set(value, entry);
  return entry;
}

export function rememberPiece(sealer: Sealer, value: string, entry: CachedPiece): void {
  let cache = caches.get(sealer);
  if (!cache) {
    cache = new Map();
    caches.set(sealer, cache);
  }
  cache.delete(value);
  cache.set(value, entry);
  if (cache.size > PIECE_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
}

/** Empties the cache of one sealer (for measurements of the uncached path). */
export function forgetPieces(sealer: Sealer): void {
  caches.delete(sealer);
}
