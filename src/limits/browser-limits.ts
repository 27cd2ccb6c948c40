import { BROWSER_TABLE, PROXY_RESPONSE_HEADER_BYTES, type BrowserFamily } from './browser-table.js';
import type { CookieLimits } from './cookie-limits.js';
import { browserFamily } from './user-agent.js';

/** Most User-Agents remembered; past it the oldest is dropped, so unique UAs cannot grow memory. */
export const BROWSER_LIMITS_CACHE_MAX = 500;
/** Longer User-Agents are parsed on every call but never remembered. */
export const CACHEABLE_USER_AGENT_MAX_LENGTH = 512;

const cache = new Map<string, BrowserFamily>();

function cachedFamily(userAgent: string): BrowserFamily {
  const known = cache.get(userAgent);
  if (known !== undefined) return known;
  const family = browserFamily(userAgent);
  if (userAgent.length <= CACHEABLE_USER_AGENT_MAX_LENGTH) {
    if (cache.size >= BROWSER_LIMITS_CACHE_MAX) {
      cache.delete(cache.keys().next().value as string); // Map keeps insertion order.
    }
    cache.set(userAgent, family);
  }
  return family;
}

/**
 * The cookie limits of the browser that sent `userAgent`. The result is a
 * frozen row of `BROWSER_TABLE`; use `resolveLimits` to change it. Memoized per User-Agent.
 */
export function browserLimits(userAgent: string | undefined): CookieLimits {
  const family = userAgent ? cachedFamily(userAgent) : 'unknown';
  return BROWSER_TABLE[family].limits;
}

/** The default `maxTotalBytes`: past it, the application has raised its proxies' limits. */
const DEFAULT_MAX_TOTAL_BYTES = 8000;

/**
 * `base` with every field of `override` that is not `undefined`, as a new object. Unless it is
 * given, `maxResponseHeaderBytes` follows a raised `maxTotalBytes`: an application that raised
 * its proxies' request limits (both directions, as the README says) keeps sessions that large,
 * with a response header block of `maxTotalBytes` + 4096 to write them in one response.
 */
export function resolveLimits(
  base: CookieLimits,
  override: Partial<CookieLimits> | undefined,
): CookieLimits {
  const maxTotalBytes = override?.maxTotalBytes ?? base.maxTotalBytes;
  return {
    maxCookieBytes: override?.maxCookieBytes ?? base.maxCookieBytes,
    countsAttributes: override?.countsAttributes ?? base.countsAttributes,
    maxCookies: override?.maxCookies ?? base.maxCookies,
    maxTotalBytes,
    maxResponseHeaderBytes:
      override?.maxResponseHeaderBytes ??
      (maxTotalBytes > DEFAULT_MAX_TOTAL_BYTES
        ? maxTotalBytes + PROXY_RESPONSE_HEADER_BYTES
        : base.maxResponseHeaderBytes),
  };
}

/** How many User-Agents are remembered now (for tests and diagnostics). */
export function browserLimitsCacheSize(): number {
  return cache.size;
}

/** Forgets every remembered User-Agent (for tests). */
export function clearBrowserLimitsCache(): void {
  cache.clear();
}
