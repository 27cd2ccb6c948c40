import { request as httpRequest } from 'node:http';
import { CookieJar } from 'tough-cookie';

/** What one exchange gave back: the raw Set-Cookie lines and the Cookie header that was sent. */
export interface JarResponse {
  status: number;
  text: string;
  json: any;
  setCookies: string[];
  /** The `Cookie` header this request carried ('' when none). */
  sentCookieHeader: string;
}

export interface JarClientOptions {
  userAgent?: string;
  /**
   * Largest response header block accepted. Node's `fetch` (and so `TestBrowser`) refuses
   * response headers over 16 KiB, which a session of many chunks passes; browsers take 256 KiB.
   */
  maxHeaderSize?: number;
}

/**
 * A browser stand-in like `TestBrowser` (real HTTP, a real tough-cookie jar) for responses with
 * large `Set-Cookie` blocks: it uses `node:http` with a raised header limit, keeps every raw
 * Set-Cookie line, and applies them strictly (a line the jar refuses fails the request).
 */
export class JarClient {
  readonly jar = new CookieJar();
  private readonly maxHeaderSize: number;

  constructor(
    readonly baseUrl: string,
    private readonly options: JarClientOptions = {},
  ) {
    this.maxHeaderSize = options.maxHeaderSize ?? 1024 * 1024;
  }

  /** Puts a cookie in the jar as if an earlier response had set it (`name=value`, host-only). */
  async plant(name: string, value: string): Promise<void> {
    await this.jar.setCookie(`${name}=${value}`, this.baseUrl);
  }

  async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; userAgent?: string } = {},
  ): Promise<JarResponse> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { ...options.headers };
    const sentCookieHeader = await this.jar.getCookieString(url.toString());
    if (sentCookieHeader) headers.cookie = sentCookieHeader;
    const userAgent = options.userAgent ?? this.options.userAgent;
    if (userAgent !== undefined) headers['user-agent'] = userAgent;
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body), 'utf8');
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const { status, text, setCookies } = await new Promise<{
      status: number;
      text: string;
      setCookies: string[];
    }>((resolve, reject) => {
      const req = httpRequest(
        url,
        { method, headers, agent: false, maxHeaderSize: this.maxHeaderSize },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(parts).toString('utf8'),
              setCookies: res.headers['set-cookie'] ?? [],
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
    for (const line of setCookies) await this.jar.setCookie(line, url.toString());
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status, text, json, setCookies, sentCookieHeader };
  }

  get(path: string, options?: Parameters<JarClient['request']>[2]): Promise<JarResponse> {
    return this.request('GET', path, options);
  }

  post(
    path: string,
    body?: unknown,
    options?: Parameters<JarClient['request']>[2],
  ): Promise<JarResponse> {
    return this.request('POST', path, { ...options, body });
  }

  /** The cookies the jar holds for the base URL, in the order it would send them. */
  async cookies(): Promise<{ name: string; value: string }[]> {
    const list = await this.jar.getCookies(this.baseUrl);
    return list.map((c) => ({ name: c.key, value: c.value }));
  }

  /** The `Cookie` header the jar would send now. */
  cookieHeader(): Promise<string> {
    return this.jar.getCookieString(this.baseUrl);
  }
}

/** UTF-8 bytes. */
export const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The name of a Set-Cookie line. */
export const lineName = (line: string): string => line.slice(0, line.indexOf('='));

/** The value of a Set-Cookie line (between `=` and the first `;`). */
export function lineValue(line: string): string {
  const eq = line.indexOf('=');
  const semi = line.indexOf(';', eq);
  return line.slice(eq + 1, semi === -1 ? undefined : semi);
}

/** Whether a Set-Cookie line deletes its cookie (`Max-Age=0`, empty value). */
export const isDeletion = (line: string): boolean =>
  lineValue(line) === '' && /; Max-Age=0(;|$)/.test(line);

/** Whether `name` is a chunk of the set `base` (`base`, `base.1` … `base.999`). */
export const isChunkOf = (base: string, name: string): boolean =>
  name === base || new RegExp(`^${base.replace(/[.]/g, '\\.')}\\.[1-9][0-9]{0,2}$`).test(name);
