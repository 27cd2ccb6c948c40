import { browserLimits, type CookieLimits } from './library.js';

/** One cookie of the request, as the browser sent it. */
export interface ReportedCookie {
  name: string;
  /** Name + value, in UTF-8 bytes: what counts against `maxCookieBytes` (unless `countsAttributes`). */
  bytes: number;
  /** The session partition it belongs to, or `undefined` for a cookie that is not the library's. */
  partition: string | undefined;
  /** Its chunk number in the partition (0 for the first cookie, which is named like the partition). */
  chunk: number;
  /** On a partition's first cookie: how many chunks the set has (the `N.` before the sealed value). */
  chunks: number | undefined;
}

/** The cookies a request carried, against the limits of the browser that sent it. */
export interface CookieReport {
  cookies: ReportedCookie[];
  /** Bytes of the whole `Cookie` header: what counts against `maxTotalBytes`. */
  headerBytes: number;
  /** The largest cookie's name + value. */
  largestBytes: number;
  limits: CookieLimits;
  userAgent: string | undefined;
}

/** The chunk number of `name` in the partition `base` (`base`, `base.1`, `base.2`, …), or -1. */
function chunkOf(base: string, name: string): number {
  if (name === base) return 0;
  const match = name.startsWith(`${base}.`)
    ? /^[1-9][0-9]{0,2}$/.exec(name.slice(base.length + 1))
    : null;
  return match ? Number(match[0]) : -1;
}

/** Reads a `Cookie` header the way the library counts it: pairs joined by `; `. */
export function cookieReport(
  cookieHeader: string | undefined,
  userAgent: string | undefined,
  partitions: readonly string[],
): CookieReport {
  const cookies: ReportedCookie[] = [];
  for (const raw of (cookieHeader ?? '').split(';')) {
    const pair = raw.trim();
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = eq === -1 ? '' : pair.slice(0, eq);
    const value = eq === -1 ? pair : pair.slice(eq + 1);
    let partition: string | undefined;
    let chunk = -1;
    for (const base of partitions) {
      chunk = chunkOf(base, name);
      if (chunk >= 0) {
        partition = base;
        break;
      }
    }
    const count = chunk === 0 ? /^([1-9][0-9]{0,2})\./.exec(value) : null;
    cookies.push({
      name,
      bytes: Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8'),
      partition,
      chunk: Math.max(chunk, 0),
      chunks: count ? Number(count[1]) : undefined,
    });
  }
  return {
    cookies,
    headerBytes: Buffer.byteLength(cookieHeader ?? '', 'utf8'),
    largestBytes: Math.max(0, ...cookies.map((c) => c.bytes)),
    limits: browserLimits(userAgent),
    userAgent,
  };
}
