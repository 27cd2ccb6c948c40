import type { Sealer } from '../codec/sealer.js';
import type { Allowance } from './allowance.js';
import { measureCookieSet, type CookieSet } from './cookie-set.js';
import { leftovers, setLinesBytes, specOf, type PartitionJob } from './partition-plan.js';
import type { PresentCookie } from './session-state.js';

/**
 * How many bytes a set sealed from a plaintext of this size would be over what the partition
 * may use (0 or less: it fits). It asks the cookie format for the set's size, then counts what
 * the set leaves of the request's cookies: those deleted on this response cost header bytes,
 * those left for later responses stay in the next request's `Cookie` header.
 */
export function overByFor(
  sealer: Sealer,
  job: PartitionJob,
  present: readonly PresentCookie[],
): (plaintextBytes: number) => number {
  const spec = specOf(job);
  const { allowance } = job;
  return (plaintextBytes) => {
    const size = measureCookieSet(sealer, spec, plaintextBytes);
    if (!size) return Math.max(1, sealer.sealedLength(plaintextBytes) - allowance.requestBytes);
    const sent = setLinesBytes(size.sentCount, size.sentPairBytes, job.attributes);
    const left = leftovers(present, size.count, job.deleting, allowance.responseBytes - sent);
    const over = Math.max(
      sent - allowance.responseBytes,
      size.pairBytes + 2 * size.count + left.keptRequestBytes - allowance.requestBytes,
    );
    if (left.blocked || size.count + left.keptCount > allowance.cookies) return Math.max(over, 1);
    return over;
  };
}

/** What a built set (or none) deletes and costs: the set's lines first, then leftovers. */
export function settle(
  job: PartitionJob,
  present: readonly PresentCookie[],
  set: CookieSet | undefined,
): { set: CookieSet | undefined; deleted: string[]; cost: Allowance; fits: boolean } {
  const count = set ? set.cookies.length : 0;
  let pairBytes = 0;
  for (const c of set?.cookies ?? []) pairBytes += c.name.length + 1 + c.value.length;
  let sentPairBytes = 0;
  for (const c of set?.sent ?? []) sentPairBytes += c.name.length + 1 + c.value.length;
  const sent = setLinesBytes(set ? set.sent.length : 0, sentPairBytes, job.attributes);
  const names: string[] = [];
  const left = leftovers(present, count, job.deleting, job.allowance.responseBytes - sent, names);
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
