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

/** Attributes already serialized, per partition's options: `secure|deleting|expires second`. */
const serialized = new WeakMap<ResolvedCookieOptions, Map<string, string>>();
/** Past this many, a partition's cache starts again (with `maxAge`, each second has its own). */
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
  const key = `${secureRequest}|${deleting}|${expiresAt}|${maxAge}`;
  let cache = serialized.get(options);
  const known = cache?.get(key);
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
  if (!cache || cache.size >= SERIALIZED_MAX) {
    cache = new Map();
    serialized.set(options, cache);
  }
  cache.set(key, attributes);
  return attributes;
}
