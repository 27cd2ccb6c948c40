/**
 * One small API over the two real browsers of the tests, so a test can run in either: Chromium
 * driven by playwright-core (chromium.ts) and Firefox driven by puppeteer-core over WebDriver BiDi
 * (firefox.ts). It covers what the cookie tests need: open a page and read the response, run a
 * `fetch` inside the page, read every cookie the browser holds through its own cookie API (HttpOnly
 * ones included, which `document.cookie` hides), and see the request headers the browser sent
 * (its `Cookie` header among them). Launch one with `launchBrowser` (launch-browser.ts).
 */
import type {
  BrowserContext as PlaywrightContext,
  Response as PlaywrightResponse,
} from 'playwright-core';
import type {
  Browser as PuppeteerBrowser,
  HTTPResponse as PuppeteerResponse,
} from 'puppeteer-core';

export type BrowserName = 'chromium' | 'firefox';

/** A cookie as the browser's cookie API reports it. */
export interface BrowserCookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  /** Seconds since the epoch; -1 for a browser-session cookie. */
  expires: number;
  httpOnly: boolean;
  secure: boolean;
  /** 'Default' is Firefox's word for a cookie set without a SameSite attribute. */
  sameSite: 'Strict' | 'Lax' | 'None' | 'Default';
}

export interface PageResponse {
  status: number;
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
  /** The headers the browser sent with the request, names in lower case (`cookie` included). */
  requestHeaders: Record<string, string>;
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
}

export interface PageFetchResult {
  status: number;
  text: string;
}

export interface BrowserPage {
  /** Navigates the page to `url` (absolute). */
  goto(url: string): Promise<PageResponse>;
  /** `fetch(path, { method })` run inside the page: same origin, the browser's own cookies. */
  fetch(path: string, method?: string): Promise<PageFetchResult>;
  /** Runs `fn(arg)` in the page and returns its (serialisable) result. */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  close(): Promise<void>;
}

export interface BrowserUnderTest {
  readonly name: BrowserName;
  newPage(): Promise<BrowserPage>;
  /** The cookies the browser would send to `url` (all it holds when `url` is left out). */
  cookies(url?: string): Promise<BrowserCookie[]>;
  clearCookies(): Promise<void>;
  userAgent(): Promise<string>;
}

const lowerCase = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

/** Whether a cookie of `domain` and `path` is sent to `url` (RFC 6265 §5.1.3, §5.1.4). */
export function cookieMatches(
  cookie: Pick<BrowserCookie, 'domain' | 'path'>,
  url: string,
): boolean {
  const { hostname, pathname } = new URL(url);
  const domain = cookie.domain.startsWith('.') ? cookie.domain.slice(1) : cookie.domain;
  const domainOk =
    hostname === domain || (cookie.domain.startsWith('.') && hostname.endsWith(`.${domain}`));
  const path = cookie.path || '/';
  const pathOk =
    pathname === path ||
    (pathname.startsWith(path) && (path.endsWith('/') || pathname[path.length] === '/'));
  return domainOk && pathOk;
}

async function pageFetch(
  evaluate: BrowserPage['evaluate'],
  path: string,
  method = 'GET',
): Promise<PageFetchResult> {
  return evaluate(
    async ({ path, method }) => {
      const response = await fetch(path, { method, credentials: 'same-origin' });
      return { status: response.status, text: await response.text() };
    },
    { path, method },
  );
}

// ---- Chromium through playwright-core ---------------------------------------------------------

async function fromPlaywrightResponse(response: PlaywrightResponse | null): Promise<PageResponse> {
  if (!response) throw new Error('the navigation had no response');
  const requestHeaders = await response.request().allHeaders();
  const headers = await response.allHeaders();
  return {
    status: response.status(),
    headers: lowerCase(headers),
    requestHeaders: lowerCase(requestHeaders),
    text: () => response.text(),
    json: async <T>() => (await response.json()) as T,
  };
}

export function fromPlaywright(context: PlaywrightContext): BrowserUnderTest {
  return {
    name: 'chromium',
    async newPage() {
      const page = await context.newPage();
      const evaluate = <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) =>
        page.evaluate(fn as never, arg) as Promise<R>;
      return {
        goto: async (url) => fromPlaywrightResponse(await page.goto(url)),
        fetch: (path, method) => pageFetch(evaluate, path, method),
        evaluate,
        close: () => page.close(),
      };
    },
    async cookies(url) {
      const list = await context.cookies(url);
      return list.map((c) => ({
        name: c.name,
        value: c.value,
        domain: c.domain,
        path: c.path,
        expires: c.expires,
        httpOnly: c.httpOnly,
        secure: c.secure,
        sameSite: c.sameSite,
      }));
    },
    clearCookies: () => context.clearCookies(),
    async userAgent() {
      const page = await context.newPage();
      try {
        return await page.evaluate(
          () => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent,
        );
      } finally {
        await page.close();
      }
    },
  };
}

// ---- Firefox through puppeteer-core over WebDriver BiDi ---------------------------------------

function fromPuppeteerResponse(response: PuppeteerResponse | null): PageResponse {
  if (!response) throw new Error('the navigation had no response');
  return {
    status: response.status(),
    headers: lowerCase(response.headers()),
    requestHeaders: lowerCase(response.request().headers()),
    text: () => response.text(),
    json: async <T>() => (await response.json()) as T,
  };
}

export function fromPuppeteer(browser: PuppeteerBrowser, name: BrowserName): BrowserUnderTest {
  return {
    name,
    async newPage() {
      const page = await browser.newPage();
      const evaluate = <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) =>
        page.evaluate(fn as never, arg) as Promise<R>;
      return {
        goto: async (url) => fromPuppeteerResponse(await page.goto(url)),
        fetch: (path, method) => pageFetch(evaluate, path, method),
        evaluate,
        close: () => page.close(),
      };
    },
    async cookies(url) {
      const list = await browser.cookies();
      return list
        .filter((c) => url === undefined || cookieMatches(c, url))
        .map((c) => ({
          name: c.name,
          value: c.value,
          domain: c.domain,
          path: c.path,
          expires: c.expires,
          httpOnly: c.httpOnly ?? false,
          secure: c.secure,
          sameSite: c.sameSite ?? 'Default',
        }));
    },
    async clearCookies() {
      const list = await browser.cookies();
      if (list.length > 0) await browser.deleteCookie(...list);
    },
    userAgent: () => browser.userAgent(),
  };
}
