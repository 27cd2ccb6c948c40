/** What `nestjs-chunked-session inspect` finds, as printed by `--json` (one document). */
import type { CookieLimits } from '../limits/cookie-limits.js';

export const REPORT_FORMAT = 'nestjs-chunked-session-inspect/1';

export type Verdict =
  /** It opens and its timeouts have not passed. */
  | 'ok'
  /** No cookie of the partition in this request (no session, or a deleted one). */
  | 'absent'
  /** A chunk the browser had been told to keep was not sent (HAR only). */
  | 'dropped'
  /** A chunk is missing, or the value is shorter than what was sealed. */
  | 'truncated'
  /** Chunks of different writes, left-over chunks, or two cookies of one name. */
  | 'mixed'
  /** Not this library's chunked, sealed text. */
  | 'malformed'
  /** Sealed with a key none of the given secrets derives. */
  | 'unknown-key'
  /** The key is known but the value does not authenticate. */
  | 'tampered'
  /** Opens, but what is inside is not a session envelope. */
  | 'bad-envelope'
  | 'expired-idle'
  | 'expired-absolute'
  /** Last written more than the allowed clock skew in the future. */
  | 'clock-skew';

export interface ChunkReport {
  name: string;
  /** name + value, in bytes: what the browser's per-cookie limit counts. */
  bytes: number;
  /** The HAR entry whose response set this exact value, when known. */
  setBy: number | null;
}

export interface PartitionReport {
  cookieName: string;
  verdict: Verdict;
  /** Whether this partition is fine: `ok`, or `absent` (a request without a session). */
  ok: boolean;
  /** One sentence saying what was found and, when it does not open, exactly why. */
  reason: string;
  chunks: ChunkReport[];
  /** The count the first chunk announces, when it can be read. */
  expectedChunks: number | null;
  /** Every announced chunk present, none left over, no name twice. */
  complete: boolean;
  /** Which chunked-cookie format the set uses (1: one seal split over the chunks). */
  format: 1 | null;
  protection: 'encrypt' | 'sign' | null;
  /** The key id in the sealed value (8 hex digits), when it can be read. */
  keyId: string | null;
  /** Which given secret has that key id (0 = the first, the one that seals), when one has. */
  keyIndex: number | null;
  createdAt: string | null;
  writtenAt: string | null;
  idleTimeout: { seconds: number; endsAt: string; passed: boolean } | null;
  absoluteTimeout: { seconds: number; endsAt: string; passed: boolean } | null;
  /** A store partition's record id (its data is on the server). */
  storeId: string | null;
  data: Record<string, unknown> | null;
}

export interface HeaderReport {
  /** Bytes of the `Cookie` header's value. */
  bytes: number;
  cookies: number;
  largestCookie: { name: string; bytes: number } | null;
  userAgent: string | null;
  /** The browser family whose limits apply (src/limits/browser-table.ts). */
  browser: string;
  limits: CookieLimits;
  maxTotalBytes: number;
  /** Each limit the header exceeds, as a sentence. */
  problems: string[];
  fits: boolean;
}

export interface RequestReport {
  /** 1-based: the HAR entry, or 1 for a header read from standard input. */
  index: number;
  method: string | null;
  url: string | null;
  startedAt: string | null;
  status: number | null;
  /** The time the timeouts were judged at. */
  checkedAt: string;
  partitions: PartitionReport[];
  header: HeaderReport;
  ok: boolean;
}

export interface InspectReport {
  format: typeof REPORT_FORMAT;
  source: 'stdin' | 'har';
  /** Key ids of the given secrets, in order (the first seals), per protection mode. */
  keys: { encrypt: string[]; sign: string[] };
  settings: { idleTimeout: number; absoluteTimeout: number; maxTotalBytes: number };
  requests: RequestReport[];
  /** Every partition present opens and every header fits (the exit status is 0). */
  ok: boolean;
  /** Why `ok` is false, one line per problem (empty when it is true). */
  problems: string[];
}
