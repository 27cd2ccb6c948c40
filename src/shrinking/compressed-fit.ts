import { encodeEnvelope, ENVELOPE_HEADER_BYTES } from '../codec/envelope.js';
import type { OverBy } from './shrink-types.js';

/** zlib's window (RFC 1951 section 2.5): a match reaches back at most this far. */
const WINDOW_BYTES = 32 * 1024;
/** zlib ends a block every 16 Ki symbols at the default memory level (lit_bufsize, deflate.c). */
const SYMBOLS_PER_BLOCK = 16 * 1024;
/**
 * Most a dynamic block's header (its Huffman code lengths, RFC 1951 section 3.2.7) takes: HLIT,
 * HDIST and HCLEN, 19 × 3 bits of code-length codes, then at most 286 + 30 lengths of up to 7 bits
 * each, and their extra bits: under 300 bytes.
 */
const BLOCK_HEADER_BYTES = 300;

interface Measured {
  /** The envelope's length as sealing would build it (deflated only when that is smaller). */
  plaintextBytes: number;
  jsonBytes: number;
  removedBytes: number;
}

/**
 * The fit check with `compress`: sealing deflates only when that is smaller, so data whose plain
 * envelope fits, fits (`plain` answers that exactly). Beyond that, deflating every candidate would
 * cost a deflate per shrink step, so a candidate is deflated only when it might fit: its answer
 * "over" without deflating comes from a lower bound on its deflated size, never from a ratio.
 *
 * The bound: since the last candidate deflated, `removedBytes` of JSON were removed or replaced.
 * Each byte deflate encodes costs at most 15 bits as a literal (the longest Huffman code, RFC 1951
 * section 3.2.7), and a match of 3 bytes at most 15 + 5 + 15 + 13 bits (a code and extra bits for
 * its length and its distance): under 2 bytes of output per input byte either way. Removing them
 * can also re-balance the Huffman codes and merge blocks: a block header each. So the deflated
 * size is at least the one measured, less 2 bytes per byte removed, less a header per block. (This
 * is an argument about the codes, not a proof about zlib, whose matches are found within search
 * limits that removing data could in principle loosen; test/unit/shrinking/fit-check.spec.ts
 * checks the answers against real deflates over random sessions and shrink sequences.) A
 * candidate that falls under the 32 KB window for the first time is measured: what was out of
 * reach may now be matched. (A removed value larger than what was kept gives no bound at all: the
 * issue's case, a 30 000-character token beside 1 000 repeated paths, is measured at once.)
 *
 * `overBy` is then an estimate in JSON bytes from the ratio of the last deflate, at least 1.
 */
export function compressedOverBy(plain: OverBy, plaintextLimit: () => number): OverBy {
  let last: Measured | undefined;
  let ratio = 1; // deflated body bytes per JSON byte, from the last measurement
  const estimate = (jsonBytes: number, lowerBound: number): number => {
    const allowance = plaintextLimit();
    const plaintext = Math.max(lowerBound, ENVELOPE_HEADER_BYTES + jsonBytes * ratio);
    return Math.max(1, Math.ceil((plaintext - allowance) / Math.max(ratio, 1e-6)));
  };
  return (jsonBytes, candidate, removedBytes = 0) => {
    const plainOver = plain(jsonBytes, candidate);
    if (plainOver <= 0) return plainOver;
    const allowance = plaintextLimit(); // known by now: `plain` searched it to answer "over"
    if (last !== undefined && !(last.jsonBytes > WINDOW_BYTES && jsonBytes <= WINDOW_BYTES)) {
      if (last.jsonBytes === jsonBytes && last.removedBytes === removedBytes) {
        return last.plaintextBytes <= allowance
          ? last.plaintextBytes - allowance
          : estimate(jsonBytes, last.plaintextBytes);
      }
      const removed = removedBytes - last.removedBytes;
      const blocks = 1 + Math.ceil(last.jsonBytes / SYMBOLS_PER_BLOCK);
      const lowerBound = last.plaintextBytes - 2 * removed - BLOCK_HEADER_BYTES * blocks;
      if (lowerBound > allowance) return estimate(jsonBytes, lowerBound);
    }
    const plaintextBytes = encodeEnvelope(0, 0, JSON.stringify(candidate), false, true).length;
    last = { plaintextBytes, jsonBytes, removedBytes };
    ratio = (plaintextBytes - ENVELOPE_HEADER_BYTES) / Math.max(jsonBytes, 1);
    return plaintextBytes <= allowance ? plaintextBytes - allowance : estimate(jsonBytes, 0);
  };
}
