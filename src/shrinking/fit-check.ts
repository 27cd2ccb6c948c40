import { ENVELOPE_HEADER_BYTES } from '../codec/envelope.js';
import { compressedOverBy } from './compressed-fit.js';
import type { OverBy } from './shrink-types.js';

export type { OverBy } from './shrink-types.js';

/**
 * The largest envelope (plaintext) length that `fitsPlaintext` accepts, at most `upper`; -1 when
 * none does. Binary search: a longer plaintext seals longer and never takes fewer cookies nor
 * fewer bytes of the Cookie header, so `fitsPlaintext` holds up to one length and not beyond.
 */
export function plaintextAllowance(
  fitsPlaintext: (plaintextBytes: number) => boolean,
  upper: number,
): number {
  let yes = -1; // the largest length known to fit
  let no = Math.max(Math.floor(upper), -1) + 1; // the smallest length known (or taken) not to
  while (no - yes > 1) {
    const mid = yes + ((no - yes) >> 1);
    if (fitsPlaintext(mid)) yes = mid;
    else no = mid;
  }
  return yes;
}

/**
 * The fit check of a cookie partition. `fitsPlaintext` says whether an envelope of that many
 * bytes, sealed and split, fits the cookies left; `upper` bounds the lengths worth trying (a
 * sealed value is never shorter than its plaintext, so the budget's bytes will do).
 *
 * Without `compress` the answer is exact and, once the allowance is known, costs a subtraction:
 * the JSON may take the allowance less the envelope's header. Data that fits at the first call (a
 * commit that needs no shrinking) costs one `fitsPlaintext` and no search. With `compress`, see
 * compressed-fit.ts.
 */
export function partitionOverBy(
  fitsPlaintext: (plaintextBytes: number) => boolean,
  compress: boolean,
  upper: number,
): OverBy {
  let allowance: number | undefined;
  const plaintextLimit = (): number => (allowance ??= plaintextAllowance(fitsPlaintext, upper));
  const plain: OverBy = (jsonBytes) => {
    const plaintextBytes = ENVELOPE_HEADER_BYTES + jsonBytes;
    if (allowance === undefined && fitsPlaintext(plaintextBytes)) return 0;
    const over = plaintextBytes - plaintextLimit();
    // The search assumed `fitsPlaintext` monotone: what fits is checked by `fitsPlaintext` itself.
    return over > 0 || fitsPlaintext(plaintextBytes) ? over : 1;
  };
  return compress ? compressedOverBy(plain, plaintextLimit) : plain;
}
