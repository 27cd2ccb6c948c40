/**
 * Helpers shared by the security and reliability tests: a raw HTTP client that sends any
 * `Cookie` header and accepts large responses, a recorder around the engine's sealer (to prove
 * the reader's work is bounded), a logger that keeps what the application logs, and a way to
 * mint sealed cookies exactly as the library would (or with another secret, name or body).
 */
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { planChunks, splitChunks } from '../../src/chunking/chunks.js';
import { encodeEnvelope } from '../../src/codec/envelope.js';
import { createSealer, type Sealer } from '../../src/codec/sealer.js';
import type { SessionEngine } from '../../src/core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from '../../src/nest/chunked-session.module-definition.js';

export { CaptureLogger } from '../support/capture-logger.js';

export const SECRET = 'security-test-secret-0123456789-abcdefghijklmnop';
export const OLD_SECRET = 'security-test-old-secret-0123456789-abcdefghijk';
export const OTHER_SECRET = 'security-test-other-secret-0123456789-abcdefgh';

/** The attributes of a deletion with the default cookie options, over plain HTTP. */
export const DELETE_ATTRIBUTES =
  'Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';

export interface RawResponse {
  status: number;
  body: string;
  json: any;
  setCookies: string[];
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A client that sends exactly the `Cookie` header given (one line, or several when an array is
 * given) and accepts response headers up to 16 MiB (the deletions of a hostile header can pass
 * the 16 KiB that fetch accepts).
 */
export class RawClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(readonly baseUrl: string) {}

  request(
    method: string,
    path: string,
    options: { cookie?: string | string[]; body?: unknown; headers?: OutgoingHttpHeaders } = {},
  ): Promise<RawResponse> {
    const url = new URL(path, this.baseUrl);
    const headers: OutgoingHttpHeaders = { ...options.headers };
    if (options.cookie !== undefined) headers.cookie = options.cookie;
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          headers,
          agent: this.agent,
          maxHeaderSize: 16 * 1024 * 1024,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('error', reject);
          res.on('end', () => {
            const body = Buffer.concat(parts).toString('utf8');
            let json: unknown;
            try {
              json = body ? JSON.parse(body) : undefined;
            } catch {
              json = undefined;
            }
            resolve({
              status: res.statusCode ?? 0,
              body,
              json,
              setCookies: res.headers['set-cookie'] ?? [],
              headers: res.headers,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  get(path: string, cookie?: string | string[]): Promise<RawResponse> {
    return this.request('GET', path, { cookie });
  }

  post(path: string, body: unknown, cookie?: string | string[]): Promise<RawResponse> {
    return this.request('POST', path, { body, cookie });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** `name=value` of each Set-Cookie line (attributes dropped), in order. */
export function cookiePairs(setCookies: readonly string[]): { name: string; value: string }[] {
  return setCookies.map((line) => {
    const pair = line.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
  });
}

/** The cookies a response sets (not those it deletes), name → value. */
export function setCookieMap(setCookies: readonly string[]): Map<string, string> {
  return new Map(
    cookiePairs(setCookies)
      .filter((c) => c.value !== '')
      .map((c) => [c.name, c.value]),
  );
}

/** A `Cookie` header from pairs. */
export function cookieHeader(pairs: Iterable<readonly [string, string]>): string {
  return [...pairs].map(([n, v]) => `${n}=${v}`).join('; ');
}

/** The engine behind a running Nest application. */
export function engineOf(app: INestApplication): SessionEngine {
  return app.get<SessionEngine>(CHUNKED_SESSION_ENGINE);
}

export interface OpenCall {
  cookieName: string;
  length: number;
  opened: boolean;
}

/**
 * Wraps the engine's sealer to record every `open` (cookie name, length of what it was given,
 * whether it opened). Requests must run one at a time for `take()` to belong to one request.
 */
export function recordOpens(engine: SessionEngine): { take(): OpenCall[]; total(): number } {
  const sealer = engine.options.sealer;
  const original = sealer.open.bind(sealer);
  let calls: OpenCall[] = [];
  let total = 0;
  const wrapped: Sealer = {
    seal: sealer.seal.bind(sealer),
    sealedLength: sealer.sealedLength.bind(sealer),
    open(cookieName, sealed) {
      const result = original(cookieName, sealed);
      calls.push({ cookieName, length: sealed.length, opened: result !== undefined });
      total++;
      return result;
    },
  };
  (engine.options as { sealer: Sealer }).sealer = wrapped;
  return {
    take() {
      const taken = calls;
      calls = [];
      return taken;
    },
    total: () => total,
  };
}

/** One cookie's worth of room with the defaults of current browsers (name + value ≤ 4096). */
const CAPACITY = { maxCookieBytes: 4096, countsAttributes: false, attributesBytes: 0 };

/**
 * Seals an envelope exactly as the library does and splits it into chunk cookies — with any
 * secret, protection, cookie name and timestamps, or a raw plaintext (`body`, any bytes).
 */
export function mintCookies(spec: {
  cookieName: string;
  sealedFor?: string;
  secrets?: string[];
  protection?: 'encrypt' | 'sign';
  createdAt?: number;
  writtenAt?: number;
  json?: string;
  isStoreId?: boolean;
  body?: Buffer;
  maxCookieBytes?: number;
}): [string, string][] {
  const now = Math.floor(Date.now() / 1000);
  const sealer = createSealer(spec.secrets ?? [SECRET], spec.protection ?? 'encrypt');
  const plaintext =
    spec.body ??
    encodeEnvelope(
      spec.createdAt ?? now,
      spec.writtenAt ?? now,
      spec.json ?? '{}',
      spec.isStoreId ?? false,
      false,
    );
  const sealed = sealer.seal(spec.sealedFor ?? spec.cookieName, plaintext);
  const capacity = { ...CAPACITY, maxCookieBytes: spec.maxCookieBytes ?? CAPACITY.maxCookieBytes };
  const plan = planChunks(spec.cookieName, sealed.length, capacity);
  if (!plan) throw new Error('mintCookies: the sealed value cannot be split');
  return splitChunks(spec.cookieName, sealed, plan).map((c) => [c.name, c.value]);
}

/** Runs `task` over `items` with at most `limit` at a time; results in input order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
