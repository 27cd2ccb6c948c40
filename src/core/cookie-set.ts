/**
 * Seal → chunk: the one step that turns a partition's serialized data into its cookies, and the
 * one the fit check asks for sizes. Everything else in the engine sees a partition's cookies only
 * through `CookieSetSize` and `CookieSet`, so the cookie format can change here alone.
 *
 * Today's format (docs/FORMAT.md): the envelope is sealed whole and the sealed text cut into
 * `name`, `name.1`, … `name.<n-1>`, the first value starting with the count. Every write sends
 * the whole set.
 */
import { planChunks, splitChunks, type ChunkCapacity } from '../chunking/chunks.js';
import { encodeEnvelope } from '../codec/envelope.js';
import type { Sealer } from '../codec/sealer.js';

/** One cookie: its name and value. */
export interface Chunk {
  name: string;
  value: string;
}

/** Where a partition's set goes: its name, what one cookie holds, and how many it may use. */
export interface CookieSetSpec {
  cookieName: string;
  capacity: ChunkCapacity;
  /** The most cookies the set may use (what the site's other cookies leave). */
  maxCookies: number;
}

/** What a set of cookies costs, without building it. */
export interface CookieSetSize {
  /** Cookies in the set, named `chunkName(cookieName, 0 … count - 1)`. */
  count: number;
  /** Its `name=value` bytes, summed: what it adds to the next `Cookie` header, less the `; `. */
  pairBytes: number;
  /** The cookies this response must set, and their `name=value` bytes (all of them, today). */
  sentCount: number;
  sentPairBytes: number;
}

/** The set itself: every cookie the next request carries, and those this response sets. */
export interface CookieSet {
  cookies: Chunk[];
  sent: Chunk[];
}

/** What goes inside the seal: the partition's timestamps and its data (or its record's id). */
export interface SealedContent {
  createdAt: number;
  writtenAt: number;
  /** The data as `JSON.stringify` gave it, or the record's id as a JSON string. */
  json: string;
  isStoreId: boolean;
}

/** The size of the set for a plaintext of this many bytes; `undefined` when no split fits. */
export function measureCookieSet(
  sealer: Sealer,
  spec: CookieSetSpec,
  plaintextBytes: number,
): CookieSetSize | undefined {
  const plan = planChunks(
    spec.cookieName,
    sealer.sealedLength(plaintextBytes),
    spec.capacity,
    Math.max(spec.maxCookies, 0),
  );
  if (!plan) return undefined;
  const count = plan.valueLengths.length;
  return { count, pairBytes: plan.pairBytes, sentCount: count, sentPairBytes: plan.pairBytes };
}

/** Seals `content` and cuts it into the set's cookies; `undefined` when no split fits. */
export function sealCookieSet(
  sealer: Sealer,
  spec: CookieSetSpec,
  content: SealedContent,
  compress: boolean,
): CookieSet | undefined {
  const plaintext = encodeEnvelope(
    content.createdAt,
    content.writtenAt,
    content.json,
    content.isStoreId,
    compress,
  );
  const sealed = sealer.seal(spec.cookieName, plaintext);
  const plan = planChunks(
    spec.cookieName,
    sealed.length,
    spec.capacity,
    Math.max(spec.maxCookies, 0),
  );
  if (!plan) return undefined;
  const cookies = splitChunks(spec.cookieName, sealed, plan);
  return { cookies, sent: cookies };
}

/**
 * How many cookies the set the request carried has (today's format: the count before the first
 * value's dot), so that the cookies past it can be deleted; 0 when there is no readable count.
 */
export function carriedSetCount(cookieName: string, values: ReadonlyMap<string, string>): number {
  const first = values.get(cookieName);
  if (first === undefined) return 0;
  const count = Number(first.slice(0, first.indexOf('.')));
  return Number.isInteger(count) && count > 0 ? count : 0;
}

/** Name + value bytes of the cookies, summed: the measure of ShrinkEvent. */
export function chunkBytes(chunks: readonly Chunk[]): number {
  let sum = 0;
  for (const c of chunks) sum += c.name.length + c.value.length;
  return sum;
}
