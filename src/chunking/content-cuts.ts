import { hkdfSync } from 'node:crypto';

/**
 * Content-defined cut points, as rsync and backup tools (LBFS, restic, FastCDC) cut files: a
 * rolling "gear" hash over the last 32 bytes decides where a chunk ends, so an edit moves only
 * the cuts around it and every chunk before and after it comes out the same.
 *
 * The gear table (256 random 32-bit words) is derived from the secret with HKDF-SHA256
 * (RFC 5869), so the cut points, and with them the chunk lengths, cannot be predicted from the
 * content by anyone without the secret. The gear hash and its use of the high bits follow
 * Xia et al., "FastCDC: a Fast and Efficient Content-Defined Chunking Approach for Data
 * Deduplication", USENIX ATC 2016, section 3.
 */

/** Chunk lengths, in bytes: at least `min` (the last chunk excepted), at most `max`. */
export interface CutSizes {
  min: number;
  /** A cut is taken where the hash's top `bits` bits are zero: on average every 2^bits bytes past `min`. */
  bits: number;
  max: number;
}

const SALT = 'nestjs-chunked-session';
const INFO = 'nestjs-chunked-session content cuts v1';

export class ContentCutter {
  private readonly gear = new Int32Array(256);

  constructor(secret: string) {
    const words = Buffer.from(hkdfSync('sha256', secret, SALT, INFO, 1024));
    for (let i = 0; i < 256; i++) this.gear[i] = words.readInt32BE(i * 4);
  }

  /** The end offset of every chunk of `bytes`, in order; the last one is `bytes.length`. */
  cuts(bytes: Uint8Array, sizes: CutSizes): number[] {
    const { min, max } = sizes;
    if (!(min >= 1 && max >= min && sizes.bits >= 1 && sizes.bits <= 31)) {
      throw new RangeError(`bad cut sizes ${JSON.stringify(sizes)}`);
    }
    const mask = (~0 << (32 - sizes.bits)) | 0;
    const gear = this.gear;
    const n = bytes.length;
    const ends: number[] = [];
    let start = 0;
    while (start < n) {
      const limit = Math.min(n, start + max);
      let end = limit;
      let hash = 0;
      // The hash starts `min - 32` bytes in, so that it covers a full window at `min`.
      for (let i = Math.max(start, start + min - 32); i < limit; i++) {
        hash = ((hash << 1) + gear[bytes[i]!]!) | 0;
        if ((hash & mask) === 0 && i + 1 - start >= min) {
          end = i + 1;
          break;
        }
      }
      ends.push(end);
      start = end;
    }
    return ends;
  }
}
