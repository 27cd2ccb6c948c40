import type { RequestCookies } from '../core/request-cookies.js';

/**
 * The cookies the browser will hold once this response is applied, as the budget counts them
 * (`name=value` and its length in bytes): the request's, changed by the response's own
 * Set-Cookie lines. A line for a name the request carried replaces it (the usual case: an
 * application that sets its cookie again); a deleting line (RFC 6265 section 5.2.2: `Max-Age`
 * of zero or less; section 5.2.1: `Expires` in the past) removes it. The session's own cookie
 * names are among them; the budget passes over those itself.
 */
export function cookiesAfterResponse(
  request: RequestCookies,
  responseLines: readonly string[],
  nowMs: number,
): RequestCookies['pairs'] {
  if (responseLines.length === 0) return request.pairs;
  const set = new Map<string, number | undefined>();
  for (const line of responseLines) {
    const semicolon = line.indexOf(';');
    const pair = (semicolon === -1 ? line : line.slice(0, semicolon)).trim();
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    set.set(name, deletes(line.slice(pair.length), nowMs) ? undefined : Buffer.byteLength(pair));
  }
  const pairs = request.pairs.filter((p) => !set.has(p.name));
  for (const [name, bytes] of set) if (bytes !== undefined) pairs.push({ name, bytes });
  return pairs;
}

function deletes(attributes: string, nowMs: number): boolean {
  for (const part of attributes.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (key === 'max-age' && /^-?\d+$/.test(value)) return Number(value) <= 0;
    if (key === 'expires') {
      const at = Date.parse(value);
      if (!Number.isNaN(at) && at <= nowMs) return true;
    }
  }
  return false;
}
