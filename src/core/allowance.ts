import { chunkIndex } from '../chunking/chunks.js';
import type { Partition } from './partition.js';
import type { ResponseHead } from './response-head.js';
import type { RequestSession } from './session-state.js';

/**
 * What the session's cookies may still use: cookies and bytes of the browser's next `Cookie`
 * header (each cookie costs its `name=value` and the `; ` that joins it to the others), and bytes
 * of this response's header block. Partitions spend it in the order they are declared.
 */
export interface Allowance {
  cookies: number;
  requestBytes: number;
  responseBytes: number;
}

/**
 * Bytes of `maxTotalBytes` the session leaves free, unless the application set `maxTotalBytes`
 * itself, for cookies the site's own scripts add later (`document.cookie`): analytics ids and a
 * consent manager's cookie take a few hundred bytes. Without it a full session plus such a cookie
 * would make every next request too large for the proxy (nginx answers 400), and no response could
 * reach the browser to fix it. 768 leaves a session 7 232 bytes of the default 8 000.
 */
export const SCRIPT_COOKIE_HEADROOM = 768;

/**
 * The allowance before any partition: the limits, less the cookies of the next request that are
 * not the session's (those the request carried, as the application's own `Set-Cookie` lines on
 * this response change them: set, replaced or deleted), less the response's other headers.
 */
export function startingAllowance(
  session: RequestSession,
  partitions: readonly Partition[],
  head: ResponseHead,
  nowSeconds: number,
): Allowance {
  const { limits } = session;
  /** The other cookies by name, and their cost; made only when there are any. */
  let others: Map<string, number> | undefined;
  for (const pair of session.cookies.pairs) {
    if (!isSessionCookie(partitions, pair.name)) {
      others ??= new Map();
      others.set(pair.name, (others.get(pair.name) ?? 0) + pair.bytes + 2);
    }
  }
  for (const line of head.setCookies) {
    const cookie = applicationCookie(line, nowSeconds);
    if (!cookie) continue;
    others ??= new Map();
    if (cookie.deleted) others.delete(cookie.name);
    else others.set(cookie.name, cookie.pairBytes + 2);
  }
  let bytes = 0;
  if (others) for (const cost of others.values()) bytes += cost;
  return {
    cookies: limits.maxCookies - (others?.size ?? 0),
    requestBytes: limits.maxTotalBytes + 2 - session.scriptHeadroom - bytes,
    responseBytes: limits.maxResponseHeaderBytes - head.headerBytes,
  };
}

function isSessionCookie(partitions: readonly Partition[], name: string): boolean {
  for (const p of partitions) if (chunkIndex(p.cookieName, name) >= 0) return true;
  return false;
}

/** The allowance once `cost` is spent. */
export function spend(allowance: Allowance, cost: Allowance): Allowance {
  return {
    cookies: allowance.cookies - cost.cookies,
    requestBytes: allowance.requestBytes - cost.requestBytes,
    responseBytes: allowance.responseBytes - cost.responseBytes,
  };
}

const MAX_AGE = /^\s*max-age\s*=\s*(-?\d+)\s*$/i;
const EXPIRES = /^\s*expires\s*=(.*)$/i;

/**
 * What one of the application's `Set-Cookie` lines does to the next request: the cookie and its
 * `name=value` bytes, or that it deletes the cookie (`Max-Age` of 0 or less, or an `Expires` in
 * the past: RFC 6265 section 5.2.1 and 5.2.2). `undefined` for a line browsers ignore (no `=`).
 */
export function applicationCookie(
  line: string,
  nowSeconds: number,
): { name: string; pairBytes: number; deleted: boolean } | undefined {
  const semicolon = line.indexOf(';');
  const pair = (semicolon === -1 ? line : line.slice(0, semicolon)).trim();
  const eq = pair.indexOf('=');
  if (eq === -1) return undefined;
  const name = pair.slice(0, eq).trim();
  let deleted = false;
  if (semicolon !== -1) {
    for (const attribute of line.slice(semicolon + 1).split(';')) {
      const maxAge = MAX_AGE.exec(attribute);
      if (maxAge) {
        // Max-Age wins over Expires (RFC 6265 section 5.3 step 3).
        deleted = Number(maxAge[1]) <= 0;
        break;
      }
      const expires = EXPIRES.exec(attribute);
      if (expires) {
        const at = Date.parse(expires[1]!.trim());
        if (!Number.isNaN(at) && at <= nowSeconds * 1000) deleted = true;
      }
    }
  }
  return { name, pairBytes: Buffer.byteLength(pair, 'utf8'), deleted };
}
