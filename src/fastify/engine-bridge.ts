import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { then, type MaybePromise } from '../core/maybe-async.js';
import { headerLineBytes, type ResponseHead } from '../core/response-head.js';
import type { SessionEngine } from '../core/session-engine.js';
import type { RequestSession } from '../core/session-state.js';
import type { FastifyReplyShape, FastifyRequestShape } from './fastify-shapes.js';

/**
 * Everything the Fastify platform knows about the engine, in one place: load by the Node
 * request (`request.raw`, which a Nest middleware sees too), commit in `onSend` with what the
 * reply carries, and put the session's lines after the reply's own.
 */

/**
 * Headers Node adds itself when Fastify writes the head after `onSend`, at most: `Date` (37
 * bytes), `Connection: keep-alive` (24), `Keep-Alive: timeout=NNN` (25), and
 * `Transfer-Encoding: chunked` or a `Content-Length` of up to ten digits (28; Fastify sets it
 * after `onSend`). Node's lib/_http_outgoing.js, `_storeHeader`; Fastify's lib/reply.js, `onSendEnd`.
 */
const ADDED_AFTER_ON_SEND_BYTES = 37 + 24 + 25 + 28;

/** Loads the session of a Node request and sets `req.session` / `req.sessionHandle` on it. */
export function loadRawSession(
  engine: SessionEngine,
  raw: IncomingMessage,
): MaybePromise<RequestSession> {
  return engine.load(raw);
}

/** Loads (or finds, when a middleware loaded it) the session of a Fastify request. */
export function loadRequestSession(
  engine: SessionEngine,
  request: FastifyRequestShape,
): MaybePromise<RequestSession> {
  return engine.load(request.raw);
}

/** The request's session, once loaded. */
export function requestSessionOf(
  engine: SessionEngine,
  request: FastifyRequestShape,
): RequestSession | undefined {
  return engine.sessionOf(request.raw);
}

const linesOf = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/**
 * The application's Set-Cookie lines on the reply: `reply.header('set-cookie', …)`,
 * `@fastify/cookie`'s `reply.setCookie` (written by its own `onSend` hook, when registered
 * before this one) and a Node `setHeader` on `reply.raw` (a Nest middleware's). Fastify's
 * `writeHead` would let the reply's own header win over the Node response's: both are kept,
 * the Node response's first, each line once (Nest's `appendHeader` writes the same to both).
 */
function setCookiesOf(reply: FastifyReplyShape): string[] {
  const own = linesOf(reply.getHeader('set-cookie'));
  const raw = linesOf(reply.raw.getHeader('set-cookie'));
  if (raw.length === 0) return own;
  return [...new Set([...raw, ...own])];
}

/** What the reply carries in `onSend`: its status line and headers as they will go out. */
function measureReply(
  request: FastifyRequestShape,
  reply: FastifyReplyShape,
  setCookies: string[],
): ResponseHead {
  const status = reply.statusCode;
  const reason = STATUS_CODES[status] ?? 'unknown';
  // `HTTP/1.1 200 OK` CRLF, the header lines, and the empty line that ends the block.
  let bytes = `HTTP/1.1 ${status} ${reason}\r\n`.length + 2 + ADDED_AFTER_ON_SEND_BYTES;
  const headers = reply.getHeaders();
  for (const name of Object.keys(headers)) {
    if (name === 'set-cookie') continue;
    for (const value of linesOf(headers[name])) bytes += headerLineBytes(name, value);
  }
  for (const line of setCookies) bytes += headerLineBytes('set-cookie', line);
  // `request.protocol` honours Fastify's `trustProxy` (X-Forwarded-Proto).
  return { headerBytes: bytes, setCookies, secure: request.protocol === 'https' };
}

/**
 * Commits the session (store writes first: a Promise only then) and puts its Set-Cookie lines
 * on the reply, after the application's own, which count against the budget and are never
 * changed. Once per response: the error response of a failed commit writes nothing.
 */
export function commitRequestSession(
  engine: SessionEngine,
  request: FastifyRequestShape,
  reply: FastifyReplyShape,
): MaybePromise<void> {
  const session = engine.sessionOf(request.raw);
  if (!session || session.committed) return undefined;
  const theirs = setCookiesOf(reply);
  return then(engine.commit(session, measureReply(request, reply, theirs)), (lines) => {
    if (lines.length === 0) return;
    // `reply.header('set-cookie', …)` appends to what is there: the whole list replaces it.
    reply.removeHeader('set-cookie');
    reply.header('set-cookie', [...theirs, ...lines]);
  });
}
