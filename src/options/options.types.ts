import type { IncomingMessage } from 'node:http';
import type { CookieLimits } from '../limits/cookie-limits.js';
import type { ShrinkEvent, ShrinkerRegistration } from '../shrinking/shrink-types.js';
import type { SessionStore } from '../stores/session-store.js';
import type { SessionLogger } from './resolved-options.js';

/** Attributes for every cookie the library writes. */
export interface CookieOptions {
  /** Default `'/'`. */
  path?: string;
  /** Default: none (host-only). */
  domain?: string;
  /** Default `true`. */
  httpOnly?: boolean;
  /** Default `'auto'`: set when the request is HTTPS, honouring Express `trust proxy`. */
  secure?: boolean | 'auto';
  /** Default `'lax'`. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** Default `false`. */
  partitioned?: boolean;
  /** Seconds; none = a browser-session cookie. */
  maxAge?: number;
}

/** Lifetimes of a session marked with `handle.remember()` ("keep me signed in"), in seconds. */
export interface RememberOptions {
  /** The cookies' `Max-Age` (and `Expires`); default `absoluteTimeout`. */
  maxAge?: number;
  /** The idle window of a remembered session; default `maxAge`. */
  idleTimeout?: number;
}

/** Which fields a partition keeps. */
export type PartitionFields = string[] | { include: string[] } | { exclude: string[] } | 'auto';

/** One part of the session: its own cookies, and optionally a server-side store. */
export interface SessionPartition {
  cookieName: string;
  /** Default `'auto'`: every field no other partition claims. */
  fields?: PartitionFields;
  /** Keep the fields on the server; the cookie holds only a sealed id. */
  store?: SessionStore;
  /** Move the data here instead of dropping keys when it does not fit in cookies. */
  overflow?: SessionStore;
  /** Merged over the module's `cookie` options, option by option. */
  cookie?: CookieOptions;
  idleTimeout?: number;
  absoluteTimeout?: number;
}

export interface ChunkedSessionOptions {
  /** Each at least 32 characters. The first seals; all open (key rotation). */
  secret: string | string[];
  /** Default `'session'`. */
  cookieName?: string;
  cookie?: CookieOptions;
  /** Default `'encrypt'` (AES-256-GCM); `'sign'` is readable, tamper-evident (HMAC-SHA256). */
  protection?: 'encrypt' | 'sign';
  /** Seconds; default 86400. */
  idleTimeout?: number;
  /** Seconds; default 2592000. */
  absoluteTimeout?: number;
  /** Seconds; default `idleTimeout / 10`. */
  touchAfter?: number;
  /** Default `false`. */
  saveUninitialized?: boolean;
  /** Overrides, field by field, the limits found for the request's User-Agent. */
  limits?: Partial<CookieLimits> | ((req: IncomingMessage) => Partial<CookieLimits>);
  /** Milliseconds; default 2000. */
  storeTimeout?: number;
  /** Default `false`. */
  compress?: boolean;
  sessions?: SessionPartition[];
  shrinkers?: ShrinkerRegistration[];
  onShrink?: (event: ShrinkEvent) => void;
  /** Milliseconds a shrinker may take before it is skipped (and logged); default 1000. */
  shrinkerTimeout?: number;
  /**
   * Paths (Express / path-to-regexp 8 syntax: `'/health'`, `'/assets/{*rest}'`) where the
   * session is neither loaded nor written: no cookie read, no store call, no Set-Cookie.
   */
  exclude?: string[];
  /**
   * Lifetimes of a session marked with `handle.remember()`: its cookies carry `Max-Age` and
   * survive a browser restart; the absolute timeout still applies.
   */
  remember?: RememberOptions;
  /** Where warnings and errors go; default Nest's `Logger` in the module, `console` without. */
  logger?: SessionLogger;
}

/** Implemented by a class given to `forRootAsync({ useClass })` or `useExisting`. */
export interface ChunkedSessionOptionsFactory {
  createChunkedSessionOptions(): ChunkedSessionOptions | Promise<ChunkedSessionOptions>;
}
