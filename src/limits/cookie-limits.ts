/** What one browser (and the servers in front of the application) accept. See API.md section 5. */
export interface CookieLimits {
  /** One cookie, in UTF-8 bytes: name + value, or the whole `Set-Cookie` value where `countsAttributes`. */
  maxCookieBytes: number;
  /** Whether `maxCookieBytes` counts the whole `Set-Cookie` value (name, value and every attribute). */
  countsAttributes: boolean;
  /** Cookies per site, the site's other cookies included. */
  maxCookies: number;
  /** The `Cookie` request header: every cookie of the site as `name=value`, joined by `; `. */
  maxTotalBytes: number;
}
