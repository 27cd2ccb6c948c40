/** One request: its partitions, and its whole `Cookie` header against the limits that apply. */
import type { IncomingMessage } from 'node:http';
import { readRequestCookies, type RequestCookies } from '../core/request-cookies.js';
import { browserLimits } from '../limits/browser-limits.js';
import { browserFamily } from '../limits/user-agent.js';
import type { CapturedRequest } from './har.js';
import type { SetCookieHistory } from './history.js';
import { inspectPartition } from './inspect-partition.js';
import type { HeaderReport, RequestReport } from './report.js';

/** A request as captured (a HAR entry, or a Cookie header on standard input), its response aside. */
export type RequestInput = Omit<CapturedRequest, 'setCookies'>;

export interface InspectSettings {
  secrets: readonly string[];
  /** Partitions to report; with none, those found in the chunk names. */
  cookieNames: readonly string[];
  idleTimeout: number;
  absoluteTimeout: number;
  /** The idle window of a remembered session; `undefined`: the absolute timeout (the default). */
  rememberIdleTimeout?: number;
  maxTotalBytes: number;
  /** A User-Agent that overrides the request's own. */
  userAgent: string | undefined;
  /** When to judge the timeouts (ms since the epoch); default: the request's time, or now. */
  now: number | undefined;
}

/** The cookies of a `Cookie` header, split as the library splits them. */
export function cookiesOf(header: string | undefined): RequestCookies {
  return readRequestCookies({ headers: { cookie: header } } as IncomingMessage);
}

const CHUNK_SUFFIX = /^(.+)\.[1-9][0-9]{0,2}$/;
/** A single value's first chunk (`<count>.`), or a delta set's manifest (`d1.`). */
const FIRST_CHUNK = /^(?:[1-9][0-9]{0,2}|d1)\.[A-Za-z0-9_-]/;

/**
 * Partition names found in cookies: every `<name>.<n>` gives `<name>`, and a cookie whose value
 * starts like a first chunk (`<count>.<base64url>`) gives its own name.
 */
export function discoverPartitions(cookies: RequestCookies): string[] {
  const found = new Set<string>();
  for (const { name } of cookies.pairs) {
    const suffix = CHUNK_SUFFIX.exec(name);
    if (suffix) found.add(suffix[1]!);
    else if (FIRST_CHUNK.test(cookies.values.get(name) ?? '')) found.add(name);
  }
  return [...found];
}

export function inspectHeader(
  cookies: RequestCookies,
  header: string | undefined,
  userAgent: string | undefined,
  maxTotalBytes: number,
): HeaderReport {
  const limits = browserLimits(userAgent);
  const bytes = header === undefined ? 0 : Buffer.byteLength(header.trim());
  let largest: { name: string; bytes: number } | null = null;
  const problems: string[] = [];
  for (const { name } of cookies.pairs) {
    const size = Buffer.byteLength(name) + Buffer.byteLength(cookies.values.get(name) ?? '');
    if (!largest || size > largest.bytes) largest = { name, bytes: size };
  }
  const family = browserFamily(userAgent);
  if (largest && largest.bytes > limits.maxCookieBytes) {
    problems.push(
      `cookie ${largest.name} has ${largest.bytes} bytes of name and value, over the ${limits.maxCookieBytes} per cookie of the ${family} limits${limits.countsAttributes ? ' (which count the attributes too)' : ''}`,
    );
  }
  if (cookies.pairs.length > limits.maxCookies) {
    problems.push(
      `${cookies.pairs.length} cookies, over the ${limits.maxCookies} per site of the ${family} limits`,
    );
  }
  if (bytes > limits.maxTotalBytes) {
    problems.push(
      `the Cookie header has ${bytes} bytes, over the ${limits.maxTotalBytes} of the ${family} limits`,
    );
  }
  if (bytes > maxTotalBytes) {
    problems.push(
      `the Cookie header has ${bytes} bytes, over the proxy budget of ${maxTotalBytes}`,
    );
  }
  return {
    bytes,
    cookies: cookies.pairs.length,
    largestCookie: largest,
    userAgent: userAgent ?? null,
    browser: family,
    limits: { ...limits },
    maxTotalBytes,
    problems,
    fits: problems.length === 0,
  };
}

export function inspectRequest(
  input: RequestInput,
  settings: InspectSettings,
  partitionNames: readonly string[],
  history: SetCookieHistory | undefined,
): RequestReport {
  const cookies = cookiesOf(input.cookieHeader);
  const userAgent = settings.userAgent ?? input.userAgent;
  const nowMs = settings.now ?? input.startedAt ?? Date.now();
  const now = Math.floor(nowMs / 1000);
  const partitions = partitionNames.map((name) =>
    inspectPartition(name, {
      secrets: settings.secrets,
      cookies,
      history,
      otherNames: partitionNames,
      now,
      idleTimeout: settings.idleTimeout,
      absoluteTimeout: settings.absoluteTimeout,
      rememberIdleTimeout: settings.rememberIdleTimeout ?? settings.absoluteTimeout,
    }),
  );
  const header = inspectHeader(cookies, input.cookieHeader, userAgent, settings.maxTotalBytes);
  return {
    index: input.index,
    method: input.method ?? null,
    url: input.url ?? null,
    startedAt: input.startedAt === undefined ? null : new Date(input.startedAt).toISOString(),
    status: input.status ?? null,
    checkedAt: new Date(nowMs).toISOString(),
    partitions,
    header,
    ok: header.fits && partitions.every((p) => p.ok),
  };
}
