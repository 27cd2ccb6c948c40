import { chunkIndex, type ChunkPlan } from '../chunking/chunks.js';
import type { CookieLimits } from '../limits/cookie-limits.js';
import type { ResolvedPartition } from '../options/resolved-options.js';
import type { RequestCookies } from './request-cookies.js';

/**
 * What one response may still add to the site's cookies: a count and the bytes of the next
 * `Cookie` header. Each cookie costs its `name=value` plus the `; ` that joins it to the others.
 */
export class CookieBudget {
  cookies: number;
  bytes: number;

  constructor(
    limits: CookieLimits,
    requestCookies: RequestCookies,
    partitions: ResolvedPartition[],
  ) {
    this.cookies = limits.maxCookies;
    this.bytes = limits.maxTotalBytes + 2;
    for (const pair of requestCookies.pairs) {
      if (!partitions.some((p) => chunkIndex(p.cookieName, pair.name) >= 0))
        this.take(1, pair.bytes);
    }
  }

  fits(plan: ChunkPlan): boolean {
    const count = plan.valueLengths.length;
    return count <= this.cookies && plan.pairBytes + 2 * count <= this.bytes;
  }

  take(count: number, pairBytes: number): void {
    this.cookies -= count;
    this.bytes -= pairBytes + 2 * count;
  }
}
