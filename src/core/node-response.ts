/**
 * Node and Express: the session's `Set-Cookie` lines go out with the headers, whichever way the
 * response is written (`res.end`, `res.write`, `res.writeHead`, Express's `send`/`json`, a
 * hand-written `@Res()`), merged once just before the real `writeHead`, after the headers passed
 * to it (as jshttp/on-headers does). Every write reaches `writeHead`: Node's `write` and `end`
 * call it through `_implicitHeader` when the application did not.
 *
 * Nothing is held while nothing is asynchronous: a cookie-only session commits inside that one
 * call. While a store call is in flight the head and the body wait, `write` returns `false`, and
 * `'drain'` follows once they are written; if the commit fails, what waited is dropped and
 * `onFailure` answers instead.
 */
import {
  STATUS_CODES,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { isPromise, type MaybePromise } from './maybe-async.js';
import { headerLineBytes, type ResponseHead } from './response-head.js';
import type { SessionEngine } from './session-engine.js';
import type { RequestSession } from './session-state.js';
import { isSecureRequest } from './set-cookie.js';

// Node's methods are overloaded; the wrappers pass their arguments through untouched.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Method = (this: ServerResponse, ...args: any[]) => any;

/**
 * The headers Node adds itself when it writes the head, at most: `Date` (37 bytes), `Connection:
 * keep-alive` (24), `Keep-Alive: timeout=NNN` (25), and `Transfer-Encoding: chunked` or a
 * `Content-Length` of up to ten digits (28). Node's lib/_http_outgoing.js, `_storeHeader`.
 */
const NODE_ADDED_HEADER_BYTES = 37 + 24 + 25 + 28;

/**
 * What the application had answered when a failing commit replaces it: its status, and the
 * start of its body (what it had written, or was writing), for the log.
 */
export interface ReplacedResponse {
  statusCode: number;
  body: string;
}

/** Answers instead of the response whose session could not be written (through the original methods). */
export type OnCommitFailure = (error: unknown, replaced: ReplacedResponse) => void;

/** The first bytes of a replaced body that the log keeps. */
const REPLACED_BODY_CHARS = 500;

/** Loads the request's session and makes the response carry it. */
export function loadForNodeResponse(
  engine: SessionEngine,
  req: IncomingMessage,
  res: ServerResponse,
  onFailure: OnCommitFailure,
): MaybePromise<RequestSession> {
  const known = engine.sessionOf(req);
  if (known) return known;
  const loaded = engine.load(req);
  if (!isPromise(loaded)) {
    commitBeforeHeaders(engine, loaded, req, res, onFailure);
    return loaded;
  }
  return loaded.then((session) => {
    commitBeforeHeaders(engine, session, req, res, onFailure);
    return session;
  });
}

const hooked = new WeakSet<ServerResponse>();

const OPEN = 0;
const HOLDING = 1;
const DONE = 2;
const FAILED = 3;

/** Installs the hooks that commit `session` to `res` just before its headers go out. Once per response. */
export function commitBeforeHeaders(
  engine: SessionEngine,
  session: RequestSession,
  req: IncomingMessage,
  res: ServerResponse,
  onFailure: OnCommitFailure,
): void {
  if (hooked.has(res)) return;
  hooked.add(res);
  const writeHead = res.writeHead as Method;
  const write = res.write as Method;
  const end = res.end as Method;
  let phase = OPEN;
  let heldHead: unknown[] | undefined;
  const held: { end: boolean; args: unknown[] }[] = [];

  const release = (lines: readonly string[]) => {
    phase = DONE;
    if (lines.length > 0) addSetCookies(res, lines);
    if (heldHead) writeHead.apply(res, heldHead);
    heldHead = undefined;
    let ended = false;
    let flowing = true;
    for (const { end: isEnd, args } of held.splice(0)) {
      if (isEnd) {
        ended = true;
        end.apply(res, args);
      } else {
        flowing = write.apply(res, args) !== false;
      }
    }
    // `write` said `false` while the response waited: the writer waits for 'drain'. When the
    // real writes went through without filling the socket, Node will not send one: this does.
    if (!ended && flowing) res.emit('drain');
  };
  /** `pending`: the arguments of the `write` or `end` call that is being dropped, if any. */
  const fail = (error: unknown, pending?: unknown[]) => {
    // What waited is dropped; `onFailure` answers, through the original methods.
    const chunks = held.map((call) => call.args[0]);
    if (pending) chunks.push(pending[0]);
    heldHead = undefined;
    held.length = 0;
    phase = DONE;
    onFailure(error, { statusCode: res.statusCode, body: bodyStart(chunks) });
  };
  /**
   * Commits now: at once when nothing is asynchronous (DONE), else the response waits
   * (HOLDING). FAILED when it failed at once: `onFailure` has answered, the call is dropped.
   */
  const start = (pending?: unknown[]): number => {
    let lines: MaybePromise<readonly string[]>;
    try {
      lines = engine.commit(session, measureHead(req, res));
    } catch (error) {
      fail(error, pending);
      return FAILED;
    }
    if (!isPromise(lines)) {
      phase = DONE;
      if (lines.length > 0) addSetCookies(res, lines);
      return DONE;
    }
    phase = HOLDING;
    lines.then(release, (error: unknown) => fail(error));
    return HOLDING;
  };

  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (phase === DONE) return writeHead.apply(this, args);
    if (phase === HOLDING) {
      heldHead ??= args;
      return this;
    }
    const lead = applyWriteHeadHeaders(this, args);
    const now = start();
    if (now === DONE) return writeHead.apply(this, lead);
    if (now === HOLDING) heldHead = lead;
    return this;
  } as typeof res.writeHead;
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    const now = phase === OPEN ? start(args) : phase;
    if (now === DONE) return write.apply(this, args);
    if (now === HOLDING) held.push({ end: false, args });
    return false;
  } as typeof res.write;
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    const now = phase === OPEN ? start(args) : phase;
    if (now === DONE) return end.apply(this, args);
    if (now === HOLDING) held.push({ end: true, args });
    return this;
  } as typeof res.end;
}

/** The start of a body from the chunks given to `write` and `end` (strings or bytes). */
function bodyStart(chunks: unknown[]): string {
  let text = '';
  for (const chunk of chunks) {
    if (text.length >= REPLACED_BODY_CHARS) break;
    if (typeof chunk === 'string') text += chunk;
    else if (chunk instanceof Uint8Array)
      text += Buffer.from(chunk.subarray(0, REPLACED_BODY_CHARS)).toString('utf8');
  }
  return text.length > REPLACED_BODY_CHARS ? `${text.slice(0, REPLACED_BODY_CHARS)}…` : text;
}

/** The session's lines after the application's: theirs are never removed or changed. */
function addSetCookies(res: ServerResponse, lines: readonly string[]): void {
  const current = res.getHeader('set-cookie');
  const theirs = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
  res.setHeader('set-cookie', [...theirs, ...lines]);
}

/**
 * Applies the headers passed to `writeHead` to the response (as Node itself does when headers
 * were set before: `setHeader` for each), and the status; gives the leading arguments (status,
 * and reason phrase if any) for the real call. Both of Node's forms: an object, and an array
 * (`[name, value, name, value…]`, or `[[name, value]…]` as on-headers reads it).
 */
function applyWriteHeadHeaders(res: ServerResponse, args: unknown[]): unknown[] {
  const at = typeof args[1] === 'string' ? 2 : 1;
  const headers = args[at] as OutgoingHttpHeaders | unknown[] | undefined;
  if (typeof args[0] === 'number') res.statusCode = args[0];
  if (at === 2) res.statusMessage = args[1] as string;
  if (Array.isArray(headers)) {
    const pairs: [string, unknown][] = Array.isArray(headers[0])
      ? (headers as [string, unknown][])
      : Array.from({ length: Math.floor(headers.length / 2) }, (_, i) => [
          String(headers[2 * i]),
          headers[2 * i + 1],
        ]);
    const grouped = new Map<string, unknown[]>();
    for (const [name, value] of pairs) {
      if (!name) continue;
      const list = grouped.get(name.toLowerCase()) ?? [];
      list.push(...(Array.isArray(value) ? value : [value]));
      grouped.set(name.toLowerCase(), list);
    }
    for (const [name, values] of grouped) {
      res.setHeader(name, values.length === 1 ? (values[0] as string) : (values as string[]));
    }
  } else if (headers && typeof headers === 'object') {
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (name && value !== undefined) res.setHeader(name, value);
    }
  }
  return args.slice(0, at);
}

/** What the response carries now: its status line and headers as Node will write them. */
export function measureHead(req: IncomingMessage, res: ServerResponse): ResponseHead {
  const reason = res.statusMessage || STATUS_CODES[res.statusCode] || 'unknown';
  // `HTTP/1.1 200 OK` CRLF, the header lines, and the empty line that ends the block.
  let bytes = `HTTP/1.1 ${res.statusCode} ${reason}\r\n`.length + 2 + NODE_ADDED_HEADER_BYTES;
  let setCookies: string[] = [];
  for (const name of res.getHeaderNames()) {
    const value = res.getHeader(name);
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [String(value)];
    for (const v of values) bytes += headerLineBytes(name, v);
    if (name === 'set-cookie') setCookies = values;
  }
  return { headerBytes: bytes, setCookies, secure: isSecureRequest(req) };
}
