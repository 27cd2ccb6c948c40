import { hash } from 'node:crypto';
import type { Sealer } from '../codec/sealer.js';
import { chunkName, type ChunkCapacity, MAX_CHUNKS } from './chunks.js';
import type { ContentCutter, CutSizes } from './content-cuts.js';
import { cachedPiece, rememberPiece } from './piece-cache.js';

/**
 * The delta cookie set (format `d1`): the serialized session is cut at content-defined points,
 * each piece sealed on its own into a cookie `<name>.<slot>`, and the first cookie `<name>`
 * holds a sealed manifest naming, in order, the slot and a digest of the exact value of every
 * piece. A write seals and sends only the pieces the browser does not already hold, plus the
 * manifest; the browser keeps the rest. A set whose cookies are not exactly those the manifest
 * names (a piece missing, from another write, moved, or changed) does not open.
 */

/** The first cookie's value starts with this: the delta format, version 1. */
export const DELTA_PREFIX = 'd1.';
/** Bytes of SHA-256 of a piece's cookie value kept in the manifest. */
export const DIGEST_BYTES = 12;
/** kind (1) + createdAt (4) + writtenAt (4) + count (1). */
export const MANIFEST_HEADER_BYTES = 10;
const ENTRY_BYTES = 2 + DIGEST_BYTES;
/** The manifest's first byte has this bit set, which no envelope's flags byte has. */
const KIND_MANIFEST = 0x80;
/** The envelope flags the manifest carries (deflated body, store id, remembered session). */
const ENVELOPE_FLAGS = 0x07;
const ENVELOPE_HEADER_BYTES = 9;
/** Pieces a set aims at, and the most it may have (each costs a deletion line of ~95 bytes). */
const PIECES_TARGET = 24;
const PIECES_MAX = 36;

/** Default piece lengths (bytes of the serialized session): see docs/FORMAT.md, "Piece sizes". */
export const DEFAULT_CUT_SIZES: CutSizes = { min: 96, bits: 8, max: 1536 };

/**
 * The name a piece is sealed under: never a cookie name (a space is not a token character,
 * RFC 6265 section 4.1.1), so a piece never opens as a first cookie nor a first cookie as a piece.
 */
export function pieceSealName(base: string): string {
  return `${base} piece`;
}

export function valueDigest(value: string): Buffer {
  return hash('sha256', Buffer.from(value, 'latin1'), 'buffer').subarray(0, DIGEST_BYTES);
}

/** A piece the browser holds: where, its exact cookie value and what it opened to. */
export interface HeldPiece {
  slot: number;
  value: string;
  plaintext: Buffer;
}

export interface OpenedDeltaSet {
  /** The envelope as the single-value format would carry it: header, then the joined body. */
  envelope: Buffer;
  /** The highest key index that opened any of its cookies (0: all sealed with the first secret). */
  keyIndex: number;
  /** The pieces in manifest order. */
  pieces: HeldPiece[];
}

/**
 * Opens the delta set `base` in `cookies`, or `undefined` when it is not one, or is incomplete,
 * mixed, reordered, tampered, or larger than `maxCookies` / `maxBytes` (values, summed).
 */
export function openDeltaSet(
  base: string,
  cookies: ReadonlyMap<string, string>,
  sealer: Sealer,
  maxCookies: number,
  maxBytes: number,
): OpenedDeltaSet | undefined {
  const first = cookies.get(base);
  if (first === undefined || !first.startsWith(DELTA_PREFIX)) return undefined;
  let bytes = first.length;
  if (bytes > maxBytes) return undefined;
  const opened = sealer.open(base, first.slice(DELTA_PREFIX.length));
  if (!opened) return undefined;
  const manifest = opened.plaintext;
  if (manifest.length < MANIFEST_HEADER_BYTES) return undefined;
  if ((manifest[0]! & ~ENVELOPE_FLAGS) !== KIND_MANIFEST) return undefined;
  const count = manifest[9]!;
  if (count < 1 || count + 1 > maxCookies || count + 1 > MAX_CHUNKS) return undefined;
  if (manifest.length !== MANIFEST_HEADER_BYTES + count * ENTRY_BYTES) return undefined;

  const pieceName = pieceSealName(base);
  const seen = new Set<number>();
  const pieces: HeldPiece[] = [];
  let keyIndex = opened.keyIndex;
  for (let i = 0; i < count; i++) {
    const at = MANIFEST_HEADER_BYTES + i * ENTRY_BYTES;
    const slot = manifest.readUInt16BE(at);
    if (slot < 1 || slot >= MAX_CHUNKS || seen.has(slot)) return undefined;
    seen.add(slot);
    const value = cookies.get(chunkName(base, slot));
    if (value === undefined) return undefined;
    bytes += value.length;
    if (bytes > maxBytes) return undefined;
    const digest = manifest.subarray(at + 2, at + ENTRY_BYTES);
    const cached = cachedPiece(sealer, pieceName, value);
    if (cached) {
      if (!cached.digest.equals(digest)) return undefined;
      keyIndex = Math.max(keyIndex, cached.keyIndex);
      pieces.push({ slot, value, plaintext: cached.plaintext });
      continue;
    }
    const valueHash = valueDigest(value);
    if (!valueHash.equals(digest)) return undefined;
    const piece = sealer.open(pieceName, value);
    if (!piece) return undefined;
    keyIndex = Math.max(keyIndex, piece.keyIndex);
    rememberPiece(sealer, value, {
      sealName: pieceName,
      plaintext: Buffer.from(piece.plaintext),
      digest: valueHash,
      keyIndex: piece.keyIndex,
    });
    pieces.push({ slot, value, plaintext: piece.plaintext });
  }
  const envelope = Buffer.concat([
    Buffer.from([manifest[0]! & ENVELOPE_FLAGS]),
    manifest.subarray(1, 9),
    ...pieces.map((p) => p.plaintext),
  ]);
  return { envelope, keyIndex, pieces };
}

/** One piece of a planned set: kept (the browser holds it) or new (sealed on this response). */
export interface PlannedPiece {
  slot: number;
  plaintext: Buffer;
  /** The value the browser already holds, for a kept piece. */
  kept: string | undefined;
  valueLength: number;
}

export interface DeltaPlan {
  base: string;
  /** The envelope's first 9 bytes (flags, createdAt, writtenAt). */
  header: Buffer;
  pieces: PlannedPiece[];
  /** Length of the first cookie's value, prefix included. */
  firstValueLength: number;
  /** The cookies of the set in the next request, and their `name=value` bytes summed. */
  cookies: number;
  pairBytes: number;
  /** The cookies this response sets: the first one, then the new pieces. */
  sets: { name: string; valueLength: number }[];
  /** The cookies this response deletes. */
  deletes: string[];
  /**
   * Pieces of the previous set that the new one no longer names. They are left in the browser
   * for one more request (and deleted by the next write), so that a concurrent response that
   * still names them stays whole; `cookies` and `pairBytes` count them. Empty with `defer: false`.
   */
  deferred: { name: string; pairBytes: number }[];
}

export interface DeltaPlanInput {
  base: string;
  /** The envelope to carry (from `encodeEnvelope`): 9 header bytes, then the body that is cut. */
  envelope: Buffer;
  /** The set the request carried, when it opened with the first secret. */
  previous: readonly HeldPiece[] | undefined;
  /** Names of this set's cookies in the request (`<name>`, `<name>.<i>`). */
  present: readonly string[];
  cutter: ContentCutter;
  sealer: Pick<Sealer, 'sealedLength'>;
  capacity: ChunkCapacity;
  /** Cookies the set may use, the first one included. */
  maxCookies: number;
  sizes?: CutSizes;
  /** Leave the dropped pieces for one more request (default `true`); see `DeltaPlan.deferred`. */
  defer?: boolean;
}

/** The largest plaintext whose sealed value fits a cookie of `room` characters. */
function largestPlaintext(sealer: Pick<Sealer, 'sealedLength'>, room: number): number {
  let n = Math.max(0, Math.floor((room * 3) / 4) - 64);
  while (sealer.sealedLength(n + 1) <= room) n++;
  while (n > 0 && sealer.sealedLength(n) > room) n--;
  return sealer.sealedLength(n) <= room ? n : -1;
}

function roomOf(name: string, cap: ChunkCapacity): number {
  return cap.countsAttributes
    ? cap.maxCookieBytes - name.length - 1 - cap.attributesBytes
    : cap.maxCookieBytes - name.length;
}

/**
 * Plans the delta set for an envelope: which pieces the browser keeps, which are sealed anew
 * (and in which slot), what is deleted, and what the set costs in the next request and in this
 * response, all before anything is sealed. `undefined` when it cannot be written as a delta set
 * (more pieces than cookies or slots, a manifest too large for one cookie, a cookie too small).
 */
export function planDeltaSet(input: DeltaPlanInput): DeltaPlan | undefined {
  const { base, envelope, sealer, capacity } = input;
  const sizes = input.sizes ?? DEFAULT_CUT_SIZES;
  const header = envelope.subarray(0, ENVELOPE_HEADER_BYTES);
  const body = envelope.subarray(ENVELOPE_HEADER_BYTES);
  if (body.length === 0) return undefined;
  const maxPiece = largestPlaintext(sealer, roomOf(`${base}.999`, capacity));
  if (maxPiece < 1) return undefined;
  // A large body is cut into proportionally larger pieces (the sizes doubled as often as needed),
  // so that a set stays within PIECES_TARGET pieces: a response of 4 KB can still delete a whole
  // set at once when a later request's limits leave it no room.
  let k = 0;
  while (body.length > PIECES_TARGET * ((sizes.min + 2 ** sizes.bits) << k) && k < 8) k++;
  const max = Math.min(sizes.max << k, maxPiece);
  const min = Math.min(sizes.min << k, max);
  const ends = input.cutter.cuts(body, { min, bits: Math.min(sizes.bits + k, 31), max });
  const count = ends.length;
  if (count > PIECES_MAX || count + 1 > input.maxCookies || count + 1 > MAX_CHUNKS)
    return undefined;
  const firstValueLength =
    DELTA_PREFIX.length + sealer.sealedLength(MANIFEST_HEADER_BYTES + count * ENTRY_BYTES);
  if (firstValueLength > roomOf(base, capacity)) return undefined;

  // The pieces the browser holds, by length then content; each may be named once.
  const held = new Map<number, HeldPiece[]>();
  const previousSlots = new Set<number>();
  for (const piece of input.previous ?? []) {
    previousSlots.add(piece.slot);
    const same = held.get(piece.plaintext.length);
    if (same) same.push(piece);
    else held.set(piece.plaintext.length, [piece]);
  }
  const pieces: PlannedPiece[] = [];
  const used = new Set<number>();
  let start = 0;
  for (const end of ends) {
    const plaintext = body.subarray(start, end);
    start = end;
    const same = held.get(plaintext.length);
    const index = same ? same.findIndex((p) => p.plaintext.equals(plaintext)) : -1;
    if (index >= 0) {
      const kept = same!.splice(index, 1)[0]!;
      used.add(kept.slot);
      pieces.push({ slot: kept.slot, plaintext, kept: kept.value, valueLength: kept.value.length });
    } else {
      pieces.push({
        slot: 0,
        plaintext,
        kept: undefined,
        valueLength: sealer.sealedLength(plaintext.length),
      });
    }
  }
  // With `defer`, new pieces take the lowest slots the previous set does not name, so that a
  // response that still names the previous set's pieces finds them whole; without, they may take
  // the slots of the pieces the new set drops (each such slot saves a deletion line).
  const defer = input.defer ?? true;
  let next = 1;
  for (const piece of pieces) {
    if (piece.kept !== undefined) continue;
    while (used.has(next) || (defer && previousSlots.has(next))) next++;
    if (next >= MAX_CHUNKS) return undefined;
    piece.slot = next;
    used.add(next);
  }

  let pairBytes = base.length + 1 + firstValueLength;
  const sets = [{ name: base, valueLength: firstValueLength }];
  const names = new Set([base]);
  for (const piece of pieces) {
    const name = chunkName(base, piece.slot);
    names.add(name);
    pairBytes += name.length + 1 + piece.valueLength;
    if (piece.kept === undefined) sets.push({ name, valueLength: piece.valueLength });
  }
  const dropped = new Map<string, string>();
  for (const piece of input.previous ?? []) {
    const name = chunkName(base, piece.slot);
    if (!names.has(name)) dropped.set(name, piece.value);
  }
  const deletes: string[] = [];
  const deferred: { name: string; pairBytes: number }[] = [];
  for (const name of new Set(input.present)) {
    if (names.has(name)) continue;
    const value = dropped.get(name);
    if (defer && value !== undefined) {
      const bytes = name.length + 1 + value.length;
      deferred.push({ name, pairBytes: bytes });
      pairBytes += bytes;
    } else {
      deletes.push(name);
    }
  }
  return {
    base,
    header: Buffer.from(header),
    pieces,
    firstValueLength,
    cookies: 1 + pieces.length + deferred.length,
    pairBytes,
    sets,
    deletes,
    deferred,
  };
}

/**
 * Bytes the plan adds to this response's header block, given the attributes of a set line and
 * of a deletion line (`; Path=/; …`): `Set-Cookie: name=value<attributes>\r\n` for each.
 */
export function responseBytes(
  plan: Pick<DeltaPlan, 'sets' | 'deletes'>,
  attributesBytes: number,
  deletionAttributesBytes: number,
): number {
  const line = 'Set-Cookie: '.length + 1 + 2; // the name, `=`, CRLF
  let total = 0;
  for (const s of plan.sets) total += line + s.name.length + s.valueLength + attributesBytes;
  for (const name of plan.deletes) total += line + name.length + deletionAttributesBytes;
  return total;
}

/** Seals the plan's new pieces and its manifest: the cookies to set, the first one first. */
export function sealDeltaSet(plan: DeltaPlan, sealer: Sealer): { name: string; value: string }[] {
  const { base } = plan;
  const pieceName = pieceSealName(base);
  const manifest = Buffer.allocUnsafe(MANIFEST_HEADER_BYTES + plan.pieces.length * ENTRY_BYTES);
  manifest[0] = KIND_MANIFEST | (plan.header[0]! & ENVELOPE_FLAGS);
  plan.header.copy(manifest, 1, 1, ENVELOPE_HEADER_BYTES);
  manifest[9] = plan.pieces.length;
  const out: { name: string; value: string }[] = [{ name: base, value: '' }];
  plan.pieces.forEach((piece, i) => {
    const at = MANIFEST_HEADER_BYTES + i * ENTRY_BYTES;
    manifest.writeUInt16BE(piece.slot, at);
    if (piece.kept !== undefined) {
      const digest = cachedPiece(sealer, pieceName, piece.kept)?.digest ?? valueDigest(piece.kept);
      digest.copy(manifest, at + 2);
      return;
    }
    const value = sealer.seal(pieceName, piece.plaintext);
    out.push({ name: chunkName(base, piece.slot), value });
    const digest = valueDigest(value);
    digest.copy(manifest, at + 2);
    rememberPiece(sealer, value, {
      sealName: pieceName,
      plaintext: Buffer.from(piece.plaintext),
      digest,
      keyIndex: 0,
    });
  });
  out[0]!.value = DELTA_PREFIX + sealer.seal(base, manifest);
  return out;
}
