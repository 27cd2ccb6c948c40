/**
 * The requests of a HAR file (HTTP Archive 1.2, http://www.softwareishard.com/blog/har-12-spec/):
 * what each sent as its `Cookie` and `User-Agent` headers, and the `Set-Cookie` lines of its
 * response. Browsers' devtools, playwright's `recordHar` and proxies write this format. HTTP/2
 * may split the `Cookie` header into several fields (RFC 9113 §8.2.3); they are joined with `; `.
 */

export interface CapturedRequest {
  /** 1-based position in the HAR's `log.entries`. */
  index: number;
  method?: string;
  url?: string;
  /** `startedDateTime`, in milliseconds since the epoch. */
  startedAt?: number;
  /** The response's status (0 or missing when there was none). */
  status?: number;
  cookieHeader: string | undefined;
  userAgent: string | undefined;
  /** The response's `Set-Cookie` lines. */
  setCookies: string[];
}

export class HarError extends Error {}

type HarHeader = { name?: unknown; value?: unknown };
type HarCookie = { name?: unknown; value?: unknown };

function headerValues(headers: unknown, name: string): string[] {
  if (!Array.isArray(headers)) return [];
  return (headers as HarHeader[])
    .filter((h) => typeof h?.name === 'string' && h.name.toLowerCase() === name)
    .map((h) => (typeof h.value === 'string' ? h.value : ''));
}

function cookieHeaderOf(request: { headers?: unknown; cookies?: unknown }): string | undefined {
  const fields = headerValues(request.headers, 'cookie').filter((v) => v !== '');
  if (fields.length > 0) return fields.join('; ');
  // Some tools list the cookies without the header.
  if (!Array.isArray(request.cookies) || request.cookies.length === 0) return undefined;
  return (request.cookies as HarCookie[])
    .filter((c) => typeof c?.name === 'string')
    .map((c) => `${c.name as string}=${typeof c.value === 'string' ? c.value : ''}`)
    .join('; ');
}

/** The requests of the HAR text `text`, in the order of their start times. */
export function readHar(text: string): CapturedRequest[] {
  let har: unknown;
  try {
    har = JSON.parse(text);
  } catch (error) {
    throw new HarError(`the HAR file is not JSON (${(error as Error).message})`);
  }
  const entries = (har as { log?: { entries?: unknown } } | null)?.log?.entries;
  if (!Array.isArray(entries)) throw new HarError('the HAR file has no log.entries list');
  const requests = entries.map((entry: unknown, i): CapturedRequest => {
    const e = (entry ?? {}) as {
      startedDateTime?: unknown;
      request?: { method?: unknown; url?: unknown; headers?: unknown; cookies?: unknown };
      response?: { status?: unknown; headers?: unknown };
    };
    const request = e.request ?? {};
    const started = typeof e.startedDateTime === 'string' ? Date.parse(e.startedDateTime) : NaN;
    // Some exporters join a response's Set-Cookie lines with newlines into one header.
    const setCookies = headerValues(e.response?.headers, 'set-cookie').flatMap((v) =>
      v.split('\n').filter((line) => line.trim() !== ''),
    );
    return {
      index: i + 1,
      method: typeof request.method === 'string' ? request.method : undefined,
      url: typeof request.url === 'string' ? request.url : undefined,
      startedAt: Number.isFinite(started) ? started : undefined,
      status: typeof e.response?.status === 'number' ? e.response.status : undefined,
      cookieHeader: cookieHeaderOf(request),
      userAgent: headerValues(request.headers, 'user-agent')[0],
      setCookies,
    };
  });
  // HAR entries are usually in order already; sort by start time when every entry has one
  // (Array.prototype.sort is stable, so equal times keep the file's order).
  if (!requests.every((r) => r.startedAt !== undefined)) return requests;
  return [...requests].sort((a, b) => a.startedAt! - b.startedAt!);
}
