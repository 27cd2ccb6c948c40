import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { serialize } from 'cookie';
import type { ResolvedCookieOptions } from '../options/resolved-options.js';

/** Whether `secure: 'auto'` means Secure: Express's `req.secure` (it honours `trust proxy`), else TLS. */
export function isSecureRequest(req: IncomingMessage): boolean {
  const express = (req as { secure?: unknown }).secure;
  if (typeof express === 'boolean') return express;
  return Boolean((req.socket as TLSSocket | undefined)?.encrypted);
}

/**
 * Attributes already serialized, per partition's options: those that do not change with the
 * clock (no `maxAge`, or a deletion) by `secure` and `deleting`, the others by
 * `secure|expires second|maxAge`.
 */
const serialized = new WeakMap<
  ResolvedCookieOptions,
  { fixed: (string | undefined)[]; timed: Map<string, string> }
>();
/** Past this many, a partition's timed attributes start again (each second has its own). */
const SERIALIZED_MAX = 8;

/**
 * The attributes that follow `name=value` in every Set-Cookie line of a partition
 * (`; Path=/; Expires=…; HttpOnly; …`). `deleting` gives the ones that delete the cookie.
 * `maxAge` replaces the options' own (a remembered session's). The same options give the same
 * text within a second: it is serialized once and kept.
 */
export function cookieAttributes(
  options: ResolvedCookieOptions,
  secureRequest: boolean,
  nowSeconds: number,
  deleting = false,
  rememberedMaxAge?: number,
): string {
  const maxAge = deleting ? 0 : (rememberedMaxAge ?? options.maxAge);
  const expiresAt = maxAge === undefined ? undefined : deleting ? 0 : nowSeconds + maxAge;
  let cache = serialized.get(options);
  if (!cache) {
    cache = { fixed: [], timed: new Map() };
    serialized.set(options, cache);
  }
  const fixed = deleting || maxAge === undefined;
  const slot = (secureRequest ? 1 : 0) + (deleting ? 2 : 0);
  const key = fixed ? '' : `${secureRequest}|${expiresAt}|${maxAge}`;
  const known = fixed ? cache.fixed[slot] : cache.timed.get(key);
  if (known !== undefined) return known;
  const attributes = serialize('x', '', {
    path: options.path,
    domain: options.domain,
    httpOnly: options.httpOnly,
    secure: options.secure === 'auto' ? secureRequest : options.secure,
    sameSite: options.sameSite,
    partitioned: options.partitioned,
    // Max-Age for current browsers, Expires for IE 10/11, which ignore Max-Age.
    maxAge,
    expires: expiresAt === undefined ? undefined : new Date(expiresAt * 1000),
  }).slice(2);
  if (fixed) {
    cache.fixed[slot] = attributes;
  } else {
    if (cache.timed.size >= SERIALIZED_MAX) cache.timed.clear();
    cache.timed.set(key, attributes);
  }
  return attributes;
}
