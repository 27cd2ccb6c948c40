import type { Sealer } from '../codec/sealer.js';
import { joinChunks, planChunks, splitChunks, type ChunkCapacity } from './chunks.js';
import type { ContentCutter } from './content-cuts.js';
import {
  DEFAULT_CUT_SIZES,
  DELTA_PREFIX,
  MANIFEST_HEADER_BYTES,
  openDeltaSet,
  planDeltaSet,
  sealDeltaSet,
  type DeltaPlan,
  type HeldPiece,
} from './delta-set.js';

/**
 * A partition's cookie set in either format: the single value (`<k>.` then the sealed envelope,
 * split over `k` cookies; docs/FORMAT.md section 4) or the delta set (`d1.`; section 5). A small
 * session keeps the single value, exactly as earlier releases wrote it; a larger one is written
 * as a delta set, so that a write re-sends only what changed.
 */

/** Up to this many sealed characters, the session is one cookie in the single-value format. */
export const SINGLE_VALUE_MAX = 2048;

export interface OpenedCookieSet {
  /** The envelope (flags, createdAt, writtenAt, body). */
  plaintext: Buffer;
  keyIndex: number;
  /** The delta set's pieces, when it was one. */
  pieces: HeldPiece[] | undefined;
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
  const opened = sealed === undefined ? undefined : sealer.open(base, sealed);
  return opened && { plaintext: opened.plaintext, keyIndex: opened.keyIndex, pieces: undefined };
}

/** One cookie of a written set: set on this response, or `kept` (the browser already holds it). */
export interface SetCookie {
  name: string;
  value: string;
  kept?: boolean;
}

/** What a set costs in the next request: cookies, and their `name=value` bytes summed. */
export interface SetFootprint {
  cookies: number;
  pairBytes: number;
}

export interface CookieSetInput {
  base: string;
  envelope: Buffer;
  sealer: Sealer;
  cutter: ContentCutter;
  capacity: ChunkCapacity;
  /** The pieces of the delta set the request carried (opened with the first secret), if any. */
  previous: readonly HeldPiece[] | undefined;
  /** Names of the set's cookies in the request. */
  present: readonly string[];
  /** Whether a footprint is within what the response may still add. */
  fits: (footprint: SetFootprint) => boolean;
  maxCookies: number;
  /**
   * Whether the single value may stand in for a delta set that does not fit (default `true`).
   * A fit check passes `false`: a session that fits only as the single value would re-send all
   * of itself on every write, which is what the delta set is for.
   */
  fallback?: boolean;
}

export type CookieSetPlan =
  | { kind: 'single'; footprint: SetFootprint; envelope: Buffer; valueLengths: number[] }
  | { kind: 'delta'; footprint: SetFootprint; plan: DeltaPlan };

/**
 * Plans the set for an envelope within `fits`, or `undefined` when nothing fits. The delta set
 * is tried with the dropped pieces left for one more request, then deleted at once, and the
 * single value last: a session that fits at all is always written.
 */
export function planCookieSet(input: CookieSetInput): CookieSetPlan | undefined {
  const { base, envelope, sealer, capacity } = input;
  const sealedLength = sealer.sealedLength(envelope.length);
  const greedy = () => {
    const plan = planChunks(base, sealedLength, capacity, Math.max(input.maxCookies, 0));
    if (!plan) return undefined;
    const footprint = { cookies: plan.valueLengths.length, pairBytes: plan.pairBytes };
    return input.fits(footprint) ? plan : undefined;
  };
  const single = (plan: { valueLengths: number[]; pairBytes: number }): CookieSetPlan => ({
    kind: 'single',
    footprint: { cookies: plan.valueLengths.length, pairBytes: plan.pairBytes },
    envelope,
    valueLengths: plan.valueLengths,
  });
  if (sealedLength <= SINGLE_VALUE_MAX) {
    const plan = greedy();
    if (plan?.valueLengths.length === 1) return single(plan);
  }
  let deltaPossible = false;
  for (const defer of [true, false]) {
    const plan = planDeltaSet({
      base,
      envelope,
      previous: input.previous,
      present: input.present,
      cutter: input.cutter,
      sealer,
      capacity,
      maxCookies: input.maxCookies,
      defer,
    });
    if (!plan) break;
    deltaPossible = true;
    const footprint = { cookies: plan.cookies, pairBytes: plan.pairBytes };
    if (input.fits(footprint)) return { kind: 'delta', footprint, plan };
  }
  if (deltaPossible && input.fallback === false) return undefined;
  const plan = greedy();
  return plan && single(plan);
}

/** Seals a planned set: every cookie the browser will hold, the kept ones marked. */
export function sealCookieSet(
  set: CookieSetPlan,
  base: string,
  sealer: Sealer,
  values: ReadonlyMap<string, string>,
): SetCookie[] {
  if (set.kind === 'single') {
    return splitChunks(base, sealer.seal(base, set.envelope), {
      valueLengths: set.valueLengths,
      pairBytes: set.footprint.pairBytes,
    });
  }
  const { plan } = set;
  const out: SetCookie[] = sealDeltaSet(plan, sealer);
  for (const piece of plan.pieces) {
    if (piece.kept !== undefined) {
      out.push({ name: `${base}.${piece.slot}`, value: piece.kept, kept: true });
    }
  }
  for (const { name } of plan.deferred) out.push({ name, value: values.get(name)!, kept: true });
  return out;
}

/**
 * What a delta set of a body of `bodyBytes` takes in the next request, expected from the mean
 * piece length (`min + 2^bits`) without cutting: for fit checks far from the limit, where the
 * exact plan would cost a serialization per shrink step.
 */
export function expectedDeltaFootprint(
  base: string,
  bodyBytes: number,
  sealer: Pick<Sealer, 'sealedLength'>,
): SetFootprint {
  const { min, bits, max } = DEFAULT_CUT_SIZES;
  const pieces = Math.max(1, Math.ceil(bodyBytes / Math.min(max, min + 2 ** bits)));
  const mean = bodyBytes / pieces;
  const pieceName = base.length + 1 + String(pieces).length;
  const first = base.length + 1 + DELTA_PREFIX.length;
  return {
    cookies: pieces + 1,
    pairBytes:
      first +
      sealer.sealedLength(MANIFEST_HEADER_BYTES + pieces * 14) +
      pieces * (pieceName + 1 + sealer.sealedLength(Math.ceil(mean))),
  };
}
