import type { IncomingMessage } from 'node:http';

/** The cookies of one request, as the browser sent them. */
export interface RequestCookies {
  /** name → value; the first of duplicate names wins, as browsers send the most specific first. */
  values: Map<string, string>;
  /** Every `name=value` pair in order, duplicates included, with its length in bytes. */
  pairs: { name: string; bytes: number }[];
}

/**
 * Splits the `Cookie` header. Values are kept raw (the library only writes base64url), and the
 * byte length of every pair is kept because the budget counts the site's other cookies too.
 */
export function readRequestCookies(req: IncomingMessage): RequestCookies {
  const values = new Map<string, string>();
  const pairs: { name: string; bytes: number }[] = [];
  const header = req.headers.cookie;
  if (!header) return { values, pairs };
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const pair = header.slice(start, end).trim();
    start = end + 1;
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = (eq === -1 ? '' : pair.slice(0, eq)).trim();
    let value = eq === -1 ? pair : pair.slice(eq + 1).trim();
    if (value.length > 1 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    pairs.push({ name, bytes: Buffer.byteLength(pair, 'utf8') });
    if (!values.has(name)) values.set(name, value);
  }
  return { values, pairs };
}
