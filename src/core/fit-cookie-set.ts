import type { ResolvedOptions } from '../options/resolved-options.js';
import { plaintextAllowance } from '../shrinking/fit-check.js';
import type { Allowance } from './allowance.js';
import {
  measureCookieSet,
  measureSingleValue,
  type CookieSet,
  type CookieSetSize,
  type CookieSetSpec,
} from './cookie-set.js';
import { leftovers, setLinesBytes, specOf, type PartitionJob } from './partition-plan.js';
import type { PresentCookie } from './session-state.js';

/**
 * How many bytes a set sealed from a plaintext of this size would be over what the partition
 * may use (0 or less: it fits). It asks the cookie format for the set's sizes (with the
 * plaintext itself, every way of writing it; the best that fits counts), then counts what the
 * set leaves of the request's cookies: those deleted on this response cost header bytes, those
 * left for later responses stay in the next request's `Cookie` header.
 */
export function overByFor(
  options: Pick<ResolvedOptions, 'sealer' | 'cutter'>,
  job: PartitionJob,
  present: readonly PresentCookie[],
  spec: CookieSetSpec = specOf(job, options.cutter),
): (plaintextBytes: number, plaintext?: () => Buffer) => number {
  const { sealer } = options;
  const over = (size: CookieSetSize) => overByOf(job, present, size);
  return (plaintextBytes, plaintext) => {
    const single = measureSingleValue(sealer, spec, plaintextBytes);
    if (!single) {
      return Math.max(1, sealer.sealedLength(plaintextBytes) - job.allowance.requestBytes);
    }
    const singleOver = over(single);
    // Without the plaintext, or when the single value fits, or when its request side does not
    // (a delta set is never smaller in the request), the single value decides.
    if (!plaintext || singleOver <= 0) return singleOver;
    const requestOver = single.pairBytes + 2 * single.count - job.allowance.requestBytes;
    if (requestOver > 0) return singleOver;
    let best = Infinity;
    measureCookieSet(sealer, spec, plaintext(), (size) => {
      best = Math.min(best, over(size));
      return best <= 0;
    });
    return best === Infinity ? singleOver : best;
  };
}

/**
 * The largest plaintext whose single value fits the request's side of the allowance (-1: none).
 * A delta set is never smaller there, and the single value grows with its plaintext: no longer
 * plaintext fits in any format, and `overByFor` need not be asked (a shrink step's fit check is
 * then a subtraction, not a cookie set's measure).
 */
export function requestPlaintextLimit(
  sealer: ResolvedOptions['sealer'],
  job: PartitionJob,
  spec: CookieSetSpec,
): number {
  const { requestBytes } = job.allowance;
  return plaintextAllowance((plaintextBytes) => {
    const single = measureSingleValue(sealer, spec, plaintextBytes);
    return single !== undefined && single.pairBytes + 2 * single.count <= requestBytes;
  }, requestBytes);
}

/** Whether a set of this size fits the partition's allowance, and by how much it is over. */
export function overByOf(
  job: PartitionJob,
  present: readonly PresentCookie[],
  size: CookieSetSize,
): number {
  const { allowance } = job;
  const sent = setLinesBytes(size.sentCount, size.sentPairBytes, job.attributes);
  const left = leftovers(present, size, job.deleting, allowance.responseBytes - sent);
  const over = Math.max(
    sent - (size.firstChoice ? Math.floor(allowance.responseBytes / 2) : allowance.responseBytes),
    size.pairBytes + 2 * size.count + left.keptRequestBytes - allowance.requestBytes,
  );
  if (left.blocked || size.count + left.keptCount > allowance.cookies) return Math.max(over, 1);
  return over;
}

/** What a built set (or none) deletes and costs: the set's lines first, then leftovers. */
export function settle(
  job: PartitionJob,
  present: readonly PresentCookie[],
  set: CookieSet | undefined,
): { set: CookieSet | undefined; deleted: readonly string[]; cost: Allowance; fits: boolean } {
  const count = set ? set.cookies.length : 0;
  let pairBytes = 0;
  for (const c of set?.cookies ?? []) pairBytes += c.name.length + 1 + c.value.length;
  let sentPairBytes = 0;
  for (const c of set?.sent ?? []) sentPairBytes += c.name.length + 1 + c.value.length;
  const sent = setLinesBytes(set ? set.sent.length : 0, sentPairBytes, job.attributes);
  const names: string[] = [];
  const left = leftovers(
    present,
    set?.size,
    job.deleting,
    job.allowance.responseBytes - sent,
    names,
  );
  const cost: Allowance = {
    cookies: count + left.keptCount,
    requestBytes: pairBytes + 2 * count + left.keptRequestBytes,
    responseBytes: sent + left.deletedBytes,
  };
  const fits =
    !left.blocked &&
    cost.cookies <= job.allowance.cookies &&
    cost.requestBytes <= job.allowance.requestBytes &&
    sent <= job.allowance.responseBytes;
  return { set, deleted: left.deleted, cost, fits };
}
