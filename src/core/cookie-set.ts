/**
 * Seal → chunk: the one step that turns a partition's serialized data into its cookies, and the
 * one the fit check asks for sizes. Everything else in the engine sees a partition's cookies only
 * through `CookieSetSize` and `CookieSet`, so the cookie format can change here alone.
 *
 * Two formats (docs/FORMAT.md): the single value (sealed whole, cut into `name`, `name.1`, …,
 * the first value starting with the count), written whole, while all of it fits this response;
 * else a delta set (`d1.`, src/chunking/delta-set.ts), whose unchanged pieces the browser keeps,
 * so a write sends only the first cookie and the pieces that changed.
 */
import { planChunks, splitChunks } from '../chunking/chunks.js';
import type { ChunkCapacity } from '../chunking/chunks.js';
import type { ContentCutter } from '../chunking/content-cuts.js';
import {
  planDeltaSet,
  sealDeltaSet,
  type DeltaPlan,
  type HeldPiece,
} from '../chunking/delta-set.js';
import { encodeEnvelope, envelopeHeader, ENVELOPE_HEADER_BYTES } from '../codec/envelope.js';
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
  /** Cuts a delta set (keyed by the first secret). */
  cutter: ContentCutter;
  /** The delta set the request carried, opened with the first secret: its pieces can be kept. */
  previous: readonly HeldPiece[] | undefined;
  /** Names of the partition's cookies in the request. */
  present: readonly string[];
}

/** What a set of cookies costs, without building it. */
export interface CookieSetSize {
  /** Cookies in the set (the next request carries them). */
  count: number;
  /** Its `name=value` bytes, summed: what it adds to the next `Cookie` header, less the `; `. */
  pairBytes: number;
  /** The cookies this response must set, and their `name=value` bytes. */
  sentCount: number;
  sentPairBytes: number;
  /**
   * Which of the request's cookies the set keeps or overwrites (by index: 0, or `<i>` of
   * `name.<i>`): the single value, the first `count`; a delta set, its first cookie and slots.
   */
  occupies: (index: number) => boolean;
  /** The single value only: a reader refuses the set while `name.<count>` is still there. */
  blockedBy: number | undefined;
  /**
   * The single value offered before the delta set: taken only while it sends at most half of
   * what the response may carry, so that the first write of a delta set (all of its pieces)
   * still fits the response when the session outgrows it.
   */
  firstChoice?: boolean;
}

/** The set itself: every cookie the next request carries, and those this response sets. */
export interface CookieSet {
  cookies: Chunk[];
  sent: Chunk[];
  size: CookieSetSize;
}

/** What goes inside the seal: the partition's timestamps and its data (or its record's id). */
export interface SealedContent {
  createdAt: number;
  writtenAt: number;
  /** The data as `JSON.stringify` gave it, or the record's id as a JSON string. */
  json: string;
  isStoreId: boolean;
  /** The session is remembered ("keep me signed in"). */
  remembered: boolean;
}

/** One way to write the set, best first: its size, and how to build it. */
interface Option {
  size: CookieSetSize;
  build: () => CookieSet;
}

/**
 * What is sealed: `head`, then `text` as UTF-8 when there is one (an uncompressed envelope's
 * header and JSON, not copied into one Buffer unless a delta set needs the content); `bytes` in all.
 */
interface Plaintext {
  head: Buffer;
  text: string | undefined;
  bytes: number;
}

/** The plaintext as one Buffer. */
function whole(plaintext: Plaintext): Buffer {
  const { head, text } = plaintext;
  if (text === undefined) return head;
  const bytes = Buffer.allocUnsafe(plaintext.bytes);
  head.copy(bytes, 0);
  bytes.write(text, head.length, 'utf8');
  return bytes;
}

function singleOption(
  sealer: Sealer,
  spec: CookieSetSpec,
  plaintext: Plaintext | number,
): Option | undefined {
  const bytes = typeof plaintext === 'number' ? plaintext : plaintext.bytes;
  const plan = planChunks(
    spec.cookieName,
    sealer.sealedLength(bytes),
    spec.capacity,
    Math.max(spec.maxCookies, 0),
  );
  if (!plan) return undefined;
  const count = plan.valueLengths.length;
  const size: CookieSetSize = {
    count,
    pairBytes: plan.pairBytes,
    sentCount: count,
    sentPairBytes: plan.pairBytes,
    occupies: (index) => index < count,
    blockedBy: count,
  };
  return {
    size,
    build: () => {
      if (typeof plaintext === 'number') throw new Error('a measured size cannot be built');
      const sealed = sealer.seal(spec.cookieName, plaintext.head, plaintext.text);
      const cookies = splitChunks(spec.cookieName, sealed, plan);
      return { cookies, sent: cookies, size };
    },
  };
}

function deltaOption(
  sealer: Sealer,
  spec: CookieSetSpec,
  plaintext: Buffer,
  defer: boolean,
): Option | undefined {
  const plan: DeltaPlan | undefined = planDeltaSet({
    base: spec.cookieName,
    envelope: plaintext,
    previous: spec.previous,
    present: spec.present,
    cutter: spec.cutter,
    sealer,
    capacity: spec.capacity,
    maxCookies: Math.max(spec.maxCookies, 0),
    defer,
  });
  if (!plan) return undefined;
  const slots = new Set<number>([0]);
  for (const piece of plan.pieces) slots.add(piece.slot);
  const name = spec.cookieName;
  for (const d of plan.deferred) slots.add(Number(d.name.slice(name.length + 1)));
  const sentPairBytes = plan.sets.reduce((sum, s) => sum + s.name.length + 1 + s.valueLength, 0);
  const size: CookieSetSize = {
    count: plan.cookies,
    pairBytes: plan.pairBytes,
    sentCount: plan.sets.length,
    sentPairBytes,
    occupies: (index) => slots.has(index),
    blockedBy: undefined,
  };
  return {
    size,
    build: () => {
      const sent = sealDeltaSet(plan, sealer);
      const cookies: Chunk[] = [...sent];
      for (const piece of plan.pieces) {
        if (piece.kept !== undefined)
          cookies.push({ name: `${name}.${piece.slot}`, value: piece.kept });
      }
      const previous = new Map((spec.previous ?? []).map((p) => [`${name}.${p.slot}`, p.value]));
      for (const d of plan.deferred) cookies.push({ name: d.name, value: previous.get(d.name)! });
      return { cookies, sent, size };
    },
  };
}

/**
 * The first way to write `plaintext` that `take` accepts, trying them best first: the single
 * value while it takes at most half of the response (`firstChoice`); else a delta set, its
 * dropped pieces left for one more request, then deleted at once; else the single value whole.
 * Each is planned only when the one before it was not taken (a delta set costs a pass over the
 * content).
 */
function findOption(
  sealer: Sealer,
  spec: CookieSetSpec,
  plaintext: Plaintext,
  take: (size: CookieSetSize) => boolean,
): Option | undefined {
  const single = singleOption(sealer, spec, plaintext);
  if (single && take({ ...single.size, firstChoice: true })) return single;
  const envelope = whole(plaintext);
  for (const defer of [true, false]) {
    const delta = deltaOption(sealer, spec, envelope, defer);
    if (delta && take(delta.size)) return delta;
  }
  // The single value last, without the half: a session that fits at all is written.
  if (single && take(single.size)) return single;
  return undefined;
}

/** The single value's size for a plaintext of this many bytes; `undefined` when no split fits. */
export function measureSingleValue(
  sealer: Sealer,
  spec: CookieSetSpec,
  plaintextBytes: number,
): CookieSetSize | undefined {
  return singleOption(sealer, spec, plaintextBytes)?.size;
}

/**
 * The sizes the set could take for this plaintext, best first, each given to `visit` until it
 * returns `true` (each planned only when asked for).
 */
export function measureCookieSet(
  sealer: Sealer,
  spec: CookieSetSpec,
  plaintext: Buffer,
  visit: (size: CookieSetSize) => boolean,
): void {
  findOption(sealer, spec, { head: plaintext, text: undefined, bytes: plaintext.length }, visit);
}

/**
 * Seals `content` into the first way of writing it that `accept` takes (by default the best);
 * `undefined` when none fits.
 */
export function sealCookieSet(
  sealer: Sealer,
  spec: CookieSetSpec,
  content: SealedContent,
  compress: boolean,
  accept: (size: CookieSetSize) => boolean = () => true,
): CookieSet | undefined {
  const { createdAt, writtenAt, json, isStoreId, remembered } = content;
  let plaintext: Plaintext;
  if (compress) {
    const head = encodeEnvelope(createdAt, writtenAt, json, isStoreId, true, remembered);
    plaintext = { head, text: undefined, bytes: head.length };
  } else {
    const head = envelopeHeader(createdAt, writtenAt, isStoreId, remembered);
    plaintext = {
      head,
      text: json,
      bytes: ENVELOPE_HEADER_BYTES + Buffer.byteLength(json, 'utf8'),
    };
  }
  return findOption(sealer, spec, plaintext, accept)?.build();
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
