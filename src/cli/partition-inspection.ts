/**
 * What the readers of one partition share: the request, the report being filled in, how to
 * fail with a verdict, and the verdict for a sealed value that does not open.
 */
import type { SealExplanation } from '../codec/seal-explain.js';
import type { RequestCookies } from '../core/request-cookies.js';
import type { SetCookieHistory } from './history.js';
import type { PartitionReport, Verdict } from './report.js';

export interface PartitionContext {
  secrets: readonly string[];
  cookies: RequestCookies;
  /** The Set-Cookie history of the HAR before this request, when reading a HAR. */
  history: SetCookieHistory | undefined;
  /** The other partitions' names: a value copied from one of them is named as such. */
  otherNames: readonly string[];
  /** Seconds since the epoch. */
  now: number;
  idleTimeout: number;
  absoluteTimeout: number;
  /** The idle window of a session sealed as remembered ("keep me signed in"). */
  rememberIdleTimeout: number;
}

export interface PartitionInspection {
  name: string;
  ctx: PartitionContext;
  report: PartitionReport;
  /** The partition's cookies in the request, in chunk order, each name once. */
  present: string[];
  /** Cookies of the partition the browser had been told to keep and did not send (HAR). */
  dropped: string[];
  /** `name (set by the response to request #n)`, for each of `names`. */
  droppedNote(names: string[]): string;
  fail(verdict: Verdict, reason: string): PartitionReport;
}

export const list = (names: string[]): string => names.join(', ');

/** The verdict for a sealed value that does not open, but for a known key's failure. */
export function sealFailure(
  seal: Extract<SealExplanation, { ok: false }>,
  secretCount: number,
  what: string,
): [Verdict, string] | undefined {
  switch (seal.reason) {
    case 'not-base64url':
      return [
        'malformed',
        `${what} is not unpadded base64url: a proxy or script changed, quoted or encoded it`,
      ];
    case 'too-short':
      return ['truncated', `${what} is shorter than any sealed value can be: it was cut`];
    case 'unknown-version':
      return [
        'malformed',
        `${what} has a version byte that is not one of this library's: not sealed by nestjs-chunked-session`,
      ];
    case 'unknown-key':
      return [
        'unknown-key',
        `${what} is sealed with key id ${seal.keyId}, which none of the ${secretCount} given secret(s) derives (${seal.protection}): a retired secret, or another application's`,
      ];
    case 'tampered':
      return undefined;
  }
}
