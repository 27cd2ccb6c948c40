/**
 * What one browser, and the servers in front of the application, accept. The browser figures
 * come from the engines' own source (`browser-table.ts` cites each); the two totals are the
 * servers' and proxies' defaults, which the application raises when it has raised theirs.
 */
export interface CookieLimits {
  /** One cookie, in UTF-8 bytes: name + value, or the whole `Set-Cookie` value where `countsAttributes`. */
  maxCookieBytes: number;
  /** Whether `maxCookieBytes` counts the whole `Set-Cookie` value (name, value and every attribute). */
  countsAttributes: boolean;
  /** Cookies per site, the site's other cookies included. */
  maxCookies: number;
  /** The `Cookie` request header: every cookie of the site as `name=value`, joined by `; `. */
  maxTotalBytes: number;
  /**
   * One response's whole header block as the proxies in front accept it from the application:
   * status line and every header, `Set-Cookie` lines included, each ending in CRLF.
   */
  maxResponseHeaderBytes: number;
}
