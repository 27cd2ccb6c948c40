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
 * The attributes that follow `name=value` in every Set-Cookie line of a partition
 * (`; Path=/; Expires=…; HttpOnly; …`). `deleting` gives the ones that delete the cookie.
 */
export function cookieAttributes(
  options: ResolvedCookieOptions,
  secureRequest: boolean,
  nowSeconds: number,
  deleting = false,
): string {
  const maxAge = deleting ? 0 : options.maxAge;
  return serialize('x', '', {
    path: options.path,
    domain: options.domain,
    httpOnly: options.httpOnly,
    secure: options.secure === 'auto' ? secureRequest : options.secure,
    sameSite: options.sameSite,
    partitioned: options.partitioned,
    // Max-Age for current browsers, Expires for IE 10/11, which ignore Max-Age.
    maxAge,
    expires: maxAge === undefined ? undefined : new Date((deleting ? 0 : nowSeconds + maxAge) * 1000),
  }).slice(2);
}
