import type { IncomingMessage } from 'node:http';
import type { ContentCutter } from '../chunking/content-cuts.js';
import type { Sealer } from '../codec/sealer.js';
import type { RequestTarget } from './exclude-paths.js';
import type { CookieLimits } from '../limits/cookie-limits.js';
import type { ShrinkEvent, ShrinkerRegistration } from '../shrinking/shrink-types.js';
import type { SessionStore } from '../stores/session-store.js';

/** Where the engine writes its warnings and errors (Nest's Logger in the module, console without). */
export interface SessionLogger {
  warn(message: string): void;
  error(message: string): void;
}

export interface ResolvedCookieOptions {
  path: string;
  domain: string | undefined;
  httpOnly: boolean;
  secure: boolean | 'auto';
  sameSite: 'lax' | 'strict' | 'none';
  partitioned: boolean;
  maxAge: number | undefined;
}

/** A partition's lifetimes while its session is remembered (seconds). */
export interface ResolvedRemember {
  /** The cookies' Max-Age (never past what is left of the absolute timeout). */
  maxAge: number;
  idleTimeout: number;
  touchAfter: number;
}

export interface ResolvedPartition {
  cookieName: string;
  /** The fields it claims by name (`string[]` or `{ include }`); `undefined` for the catch-all. */
  claims: ReadonlySet<string> | undefined;
  /** The fields the catch-all leaves out (`{ exclude }`). */
  excludes: ReadonlySet<string>;
  isCatchAll: boolean;
  store: SessionStore | undefined;
  overflow: SessionStore | undefined;
  cookie: ResolvedCookieOptions;
  idleTimeout: number;
  absoluteTimeout: number;
  touchAfter: number;
  /** Lifetimes once the session is remembered (`handle.remember()`). */
  remember: ResolvedRemember;
}

/** Options after defaults and validation: the only form the engine sees. */
export interface ResolvedOptions {
  sealer: Sealer;
  /** Cuts a delta cookie set; keyed by the first secret. */
  cutter: ContentCutter;
  partitions: ResolvedPartition[];
  saveUninitialized: boolean;
  compress: boolean;
  storeTimeout: number;
  /** Milliseconds a shrinker may take before it is skipped and logged. */
  shrinkerTimeout: number;
  limits: (req: IncomingMessage) => Partial<CookieLimits> | undefined;
  shrinkers: ShrinkerRegistration[];
  onShrink: ((event: ShrinkEvent) => void) | undefined;
  /**
   * Whether the request's path is one of the `exclude` paths, where the session is neither
   * loaded nor written (compiled once; `false` at once when there are none).
   */
  isExcluded: (req: RequestTarget) => boolean;
  logger: SessionLogger;
}
