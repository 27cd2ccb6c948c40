import type { ChunkCapacity } from '../chunking/chunks.js';
import type { ShrinkEvent } from '../shrinking/shrink-types.js';
import type { SessionStore } from '../stores/session-store.js';
import type { Allowance } from './allowance.js';
import type { ContentCutter } from '../chunking/content-cuts.js';
import type { CookieSet, CookieSetSize, CookieSetSpec } from './cookie-set.js';
import { SET_COOKIE_LINE_OVERHEAD } from './response-head.js';
import type { PartitionState, PresentCookie } from './session-state.js';

/** One partition to write on this response: what the plan of it starts from. Read only. */
export interface PartitionJob {
  readonly state: PartitionState;
  /** The partition's fields, and their one serialization for this commit. */
  readonly fields: Record<string, unknown>;
  readonly json: string;
  readonly now: number;
  /** The session is remembered: sealed with the mark, cookies with Max-Age. */
  readonly remembered: boolean;
  /** Seconds a store record must live. */
  readonly ttl: number;
  /** The attributes after `name=value`: of a cookie set, and of a cookie deleted. */
  readonly attributes: string;
  readonly deleting: string;
  readonly capacity: ChunkCapacity;
  readonly allowance: Allowance;
}

/** A store call the commit makes before any cookie changes. */
export type StoreOp =
  | {
      kind: 'set';
      store: SessionStore;
      id: string;
      data: Record<string, unknown>;
      ttl: number;
      what: string;
    }
  | {
      kind: 'touch';
      store: SessionStore;
      id: string;
      data: Record<string, unknown>;
      ttl: number;
      what: string;
    }
  | { kind: 'destroy'; store: SessionStore; id: string };

/** What a partition becomes on this response, decided but not yet done. */
export interface PartitionPlan {
  readonly state: PartitionState;
  /** Its cookies after this response; `undefined`: none (the set is deleted). */
  readonly set: CookieSet | undefined;
  /** Cookies of the request's set that this response deletes. */
  readonly deleted: readonly string[];
  readonly cost: Allowance;
  readonly storeOps: readonly StoreOp[];
  readonly snapshot: string | undefined;
  readonly storeId: string | undefined;
  /** The partition's fields as written, when they differ from the handler's (shrunk, or dropped). */
  readonly written?: { from: Record<string, unknown>; to: Record<string, unknown> };
  readonly event?: ShrinkEvent;
  readonly error?: string;
  /** Only cookies left over were deleted: the set and the partition's state stay as they are. */
  readonly tidyOnly?: boolean;
}

/** The set's spec within an allowance. */
export function specOf(job: PartitionJob, cutter: ContentCutter): CookieSetSpec {
  return {
    cookieName: job.state.partition.cookieName,
    capacity: job.capacity,
    maxCookies: job.allowance.cookies,
    cutter,
    previous: job.state.pieces,
    present: job.state.present.map((c) => c.name),
  };
}

/** Bytes of the `Set-Cookie` lines of `count` cookies whose `name=value` sum to `pairBytes`. */
export function setLinesBytes(count: number, pairBytes: number, attributes: string): number {
  return count * (SET_COOKIE_LINE_OVERHEAD + attributes.length) + pairBytes;
}

/** Which of the request's cookies a set of `count` cookies leaves over, and which go now. */
export interface Leftovers {
  /** Deleted on this response (the lowest indexes first), and their lines' bytes. */
  deleted: readonly string[];
  deletedBytes: number;
  /** Left for a later response: the next request still carries them. */
  keptCount: number;
  keptRequestBytes: number;
  /** The cookie right after the set (`name.<count>`) is there and cannot be deleted now: a reader would refuse the set. */
  blocked: boolean;
}

/**
 * The request's cookies of this partition that a set does not keep or overwrite, and
 * which of them the response bytes left can delete: the lowest indexes first, so the cookie
 * right after the set goes first and every response deletes more. The rest wait for the next
 * responses (hundreds of junk chunks would otherwise make a header block no proxy takes).
 * `names` is filled only when given.
 */
export function leftovers(
  present: readonly PresentCookie[],
  set: Pick<CookieSetSize, 'occupies' | 'blockedBy'> | undefined,
  deleting: string,
  responseBytes: number,
  names?: string[],
): Leftovers {
  let deletedBytes = 0;
  let keptCount = 0;
  let keptRequestBytes = 0;
  let blocked = false;
  for (const cookie of present) {
    if (set?.occupies(cookie.index)) continue;
    const line = SET_COOKIE_LINE_OVERHEAD + cookie.name.length + 1 + deleting.length;
    if (keptCount === 0 && deletedBytes + line <= responseBytes) {
      deletedBytes += line;
      names?.push(cookie.name);
    } else {
      keptCount++;
      keptRequestBytes += cookie.bytes + 2;
      if (set?.blockedBy !== undefined && cookie.index === set.blockedBy) blocked = true;
    }
  }
  return { deleted: names ?? NO_NAMES, deletedBytes, keptCount, keptRequestBytes, blocked };
}

const NO_NAMES: readonly string[] = Object.freeze([]);

/** The partition's cookies in index order, each name once (duplicates from other paths go together). */
export function sortedPresent(present: readonly PresentCookie[]): readonly PresentCookie[] {
  // Usually they come in order already (each index once means each name once): nothing to copy.
  let ordered = true;
  for (let i = 1; i < present.length && ordered; i++) {
    ordered = present[i]!.index > present[i - 1]!.index;
  }
  if (ordered) return present;
  const seen = new Set<string>();
  const out: PresentCookie[] = [];
  for (const cookie of present) {
    if (seen.has(cookie.name)) continue;
    seen.add(cookie.name);
    out.push(cookie);
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The cookies of the set the request carried, as `leftovers` takes them. */
export function carriedSet(state: PartitionState): Pick<CookieSetSize, 'occupies' | 'blockedBy'> {
  const { slots, count } = state;
  return slots
    ? { occupies: (index) => slots.has(index), blockedBy: undefined }
    : { occupies: (index) => index < count, blockedBy: count };
}
