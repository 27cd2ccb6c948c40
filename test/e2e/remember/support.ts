import { expect } from '@jest/globals';
import { TestBrowser, type BrowserResponse } from '../../support/browser.js';

/** `Max-Age`, then `Path`, then `Expires` (as `cookie`'s serialize orders them), then the rest. */
const PERSISTENT =
  /^([^=]+)=[^;]*; Max-Age=(\d+); Path=\/; Expires=([^;]+); HttpOnly; SameSite=Lax$/;
const PLAIN = /^([^=]+)=[^;]*; Path=\/; HttpOnly; SameSite=Lax$/;

/** Whole seconds since the epoch. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Every Set-Cookie line of the response writes a cookie of a remembered session: `Max-Age` of
 * `maxAge` (± 1 s, the clock ticking between the server and here), `Expires` the server's now
 * plus that Max-Age (for IE, which ignores Max-Age). Returns the names written.
 */
export function expectRemembered(res: BrowserResponse, maxAge: number): string[] {
  expect(res.setCookies.length).toBeGreaterThan(0);
  return res.setCookies.map((line) => {
    const match = PERSISTENT.exec(line);
    if (!match) throw new Error(`not a remembered cookie: ${line}`);
    const [, name, age, expires] = match;
    expect(Math.abs(Number(age) - maxAge)).toBeLessThanOrEqual(1);
    const expiresAt = Date.parse(expires!) / 1000;
    expect(Math.abs(expiresAt - (nowSeconds() + Number(age)))).toBeLessThanOrEqual(2);
    expect(new Date(expiresAt * 1000).toUTCString()).toBe(expires);
    return name!;
  });
}

/** Every Set-Cookie line writes a browser-session cookie: no Max-Age, no Expires. */
export function expectPlain(res: BrowserResponse): string[] {
  expect(res.setCookies.length).toBeGreaterThan(0);
  return res.setCookies.map((line) => {
    const match = PLAIN.exec(line);
    if (!match) throw new Error(`not a browser-session cookie: ${line}`);
    return match[1]!;
  });
}

/**
 * The same user agent after a browser restart: a new jar holding only what the old one kept
 * as persistent (tough-cookie drops nothing by itself; a browser drops its session cookies).
 */
export async function restarted(browser: TestBrowser): Promise<TestBrowser> {
  const next = new TestBrowser(browser.baseUrl, browser.userAgent);
  for (const cookie of await browser.jar.getCookies(browser.baseUrl)) {
    if (cookie.isPersistent()) await next.jar.setCookie(cookie, browser.baseUrl);
  }
  return next;
}
