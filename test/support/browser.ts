import { CookieJar } from 'tough-cookie';

export interface BrowserResponse {
  status: number;
  text: string;
  json: any;
  headers: Headers;
  setCookies: string[];
}

/**
 * A browser stand-in for end-to-end tests: real HTTP with a real cookie jar (tough-cookie),
 * so deletions, paths and expiry behave as in a browser.
 */
export class TestBrowser {
  readonly jar = new CookieJar();

  constructor(
    readonly baseUrl: string,
    readonly userAgent?: string,
  ) {}

  async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; cookieHeader?: string } = {},
  ): Promise<BrowserResponse> {
    const url = new URL(path, this.baseUrl).toString();
    const headers: Record<string, string> = { ...options.headers };
    const cookie = options.cookieHeader ?? (await this.jar.getCookieString(url));
    if (cookie) headers.cookie = cookie;
    if (this.userAgent) headers['user-agent'] = this.userAgent;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) await this.jar.setCookie(line, url, { ignoreError: true });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers, setCookies };
  }

  get(path: string, options?: Parameters<TestBrowser['request']>[2]) {
    return this.request('GET', path, options);
  }

  post(path: string, body?: unknown, options?: Parameters<TestBrowser['request']>[2]) {
    return this.request('POST', path, { ...options, body });
  }

  /** The cookies the jar holds for the base URL, name → value. */
  async cookies(): Promise<Map<string, string>> {
    const list = await this.jar.getCookies(this.baseUrl);
    return new Map(list.map((c) => [c.key, c.value]));
  }

  /** The `Cookie` header the jar would send. */
  cookieHeader(): Promise<string> {
    return this.jar.getCookieString(this.baseUrl);
  }
}
