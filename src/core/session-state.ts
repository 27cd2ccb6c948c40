import type { HeldPiece } from '../chunking/delta-set.js';
import type { CookieLimits } from '../limits/cookie-limits.js';
import type { SessionStore } from '../stores/session-store.js';
import { nowSeconds } from './clock.js';
import { recordStore, type Partition } from './partition.js';
import type { RequestCookies } from './request-cookies.js';
import type { SessionData, SessionHandle } from './session-handle.js';

/** One partition of one request's session: what was read, and what must be cleaned up. */
export interface PartitionState {
  readonly partition: Partition;
  /** The chunk cookies of this partition that the request carried, with their `name=value` bytes. */
  readonly present: readonly PresentCookie[];
  /** Their `name=value` bytes, summed. */
  readonly presentPairBytes: number;
  /** How many cookies the set it carried has (the others present are left over: junk, stale). */
  readonly count: number;
  /** A delta set's cookies by index (0 and its pieces' slots), when it carried one that opened. */
  slots?: ReadonlySet<number>;
  /** Whether a valid, unexpired session was read (and its store record found). */
  valid: boolean;
  /** JSON of the partition's fields as read, or as last written on this response. */
  snapshot: string | undefined;
  createdAt: number;
  writtenAt: number;
  /** The store record's id (a store partition, or a cookie partition living in its overflow store). */
  storeId: string | undefined;
  /** Read with an older secret: re-seal with the first one. */
  reseal: boolean;
  /** Its cookies, as read or last written, carry the remembered mark. */
  remembered: boolean;
  /** The pieces of the delta set the request carried, opened with the first secret (kept when unchanged). */
  pieces?: readonly HeldPiece[];
}

/** One chunk cookie of a partition, as the request carried it. */
export interface PresentCookie {
  name: string;
  /** Its index in the partition's set (0 for the cookie named like the partition). */
  index: number;
  /** `name=value`, in bytes. */
  bytes: number;
}

/** A store record to delete when the response is committed. */
export interface StaleRecord {
  store: SessionStore;
  id: string;
}

/** Copies `value` onto `target` as an own property, even for a key named `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/** The session of one request: its data, its partitions, and the handle's requests. */
export class RequestSession implements SessionHandle {
  destroyed = false;
  regenerated = false;
  touched = false;
  /** Bytes of `maxTotalBytes` left free for the site's script cookies (`SCRIPT_COOKIE_HEADROOM`). */
  scriptHeadroom = 0;
  /** Committed to this response (or failing to): a response carries one commit. */
  committed = false;
  readonly stale: StaleRecord[] = [];
  /** "Keep me signed in": read from any partition's seal, or set by `remember()`. */
  private rememberedMark: boolean;

  constructor(
    readonly partitions: PartitionState[],
    readonly cookies: RequestCookies,
    readonly limits: CookieLimits,
    readonly userAgent: string | undefined,
    private wasNew: boolean,
    /** The handler's object: the fields read (an object of this request's own), or `{}`. */
    readonly data: SessionData = {},
  ) {
    // One partition read as remembered makes the whole session remembered.
    this.rememberedMark = partitions.some((p) => p.valid && p.remembered);
  }

  get isNew(): boolean {
    return this.wasNew;
  }

  get isRemembered(): boolean {
    return this.rememberedMark;
  }

  remember(on = true): void {
    this.rememberedMark = Boolean(on);
  }

  destroy(): void {
    this.destroyed = true;
    this.wasNew = true;
    this.rememberedMark = false;
    this.forgetRecords();
    for (const key of Object.keys(this.data)) delete this.data[key];
    for (const ps of this.partitions) {
      ps.valid = false;
      ps.snapshot = undefined;
      ps.reseal = false;
    }
  }

  regenerate(): void {
    this.regenerated = true;
    this.forgetRecords();
  }

  touch(): void {
    this.touched = true;
  }

  /** Queues every store record for deletion and starts the partitions afresh. */
  private forgetRecords(): void {
    const now = nowSeconds();
    for (const ps of this.partitions) {
      const store = recordStore(ps.partition);
      if (ps.storeId !== undefined && store) this.stale.push({ store, id: ps.storeId });
      ps.storeId = undefined;
      ps.createdAt = now;
    }
  }
}
