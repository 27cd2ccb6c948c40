import type { Sealer } from '../codec/sealer.js';
import { joinChunks } from './chunks.js';
import { DELTA_PREFIX, openDeltaSet, type HeldPiece } from './delta-set.js';

/**
 * Opens a partition's cookie set in either format: the single value (`<k>.` then the sealed
 * envelope, split over `k` cookies; docs/FORMAT.md section 4) or the delta set (`d1.`, section 5).
 * Anything else, and any set that does not open, is `undefined`.
 */
export interface OpenedCookieSet {
  /** The envelope (flags, createdAt, writtenAt, body). */
  plaintext: Buffer;
  keyIndex: number;
  /** The delta set's pieces, when it was one. */
  pieces?: HeldPiece[];
}

export function openCookieSet(
  base: string,
  cookies: ReadonlyMap<string, string>,
  sealer: Sealer,
  maxCookies: number,
  maxBytes: number,
): OpenedCookieSet | undefined {
  if (cookies.get(base)?.startsWith(DELTA_PREFIX)) {
    const delta = openDeltaSet(base, cookies, sealer, maxCookies, maxBytes);
    return delta && { plaintext: delta.envelope, keyIndex: delta.keyIndex, pieces: delta.pieces };
  }
  const sealed = joinChunks(base, cookies, maxCookies, maxBytes);
  return sealed === undefined ? undefined : sealer.open(base, sealed);
}
