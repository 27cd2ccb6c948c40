import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionEngine } from '../core/session-engine.js';
import type { RequestSession } from '../core/session-state.js';
import type { FastifyReplyShape, FastifyRequestShape } from './fastify-shapes.js';
import { cookiesAfterResponse } from './response-cookies.js';

/**
 * Everything the Fastify platform knows about the engine, in one place.
 *
 * The engine keys a request's session by the object it is given, and reads `req.secure`
 * (Express's name) for `secure: 'auto'`. Fastify gets a view of its Node request (the view's
 * prototype) whose `secure` comes from `request.protocol`, which honours Fastify's
 * `trustProxy`, once the `FastifyRequest` is known (a Nest middleware, which runs first,
 * sees only the Node request); before that, from the socket.
 */
interface RequestView extends IncomingMessage {
  fastifyRequest?: FastifyRequestShape;
}

const views = new WeakMap<IncomingMessage, RequestView>();

function viewOf(raw: IncomingMessage): RequestView {
  let view = views.get(raw);
  if (!view) {
    const created: RequestView = Object.create(raw, {
      secure: {
        get: () =>
          created.fastifyRequest
            ? created.fastifyRequest.protocol === 'https'
            : Boolean((raw.socket as { encrypted?: boolean } | null)?.encrypted),
      },
    });
    views.set(raw, created);
    view = created;
  }
  return view;
}

/**
 * The engine holds a Node response's `writeHead`/`write`/`end` until it has committed. On
 * Fastify the commit happens in `onSend`, before Fastify calls `writeHead`: the engine is
 * given an object of its own to hold, which nothing ever writes to.
 */
const notHeld = (): ServerResponse => ({}) as ServerResponse;
const ignore = () => {};

/**
 * Loads the session of a Node request (the session itself when no store is read, else a
 * Promise) and sets `req.session` / `req.sessionHandle` on it, for Nest middleware.
 */
export function loadRawSession(
  engine: SessionEngine,
  raw: IncomingMessage,
): RequestSession | Promise<RequestSession> {
  const expose = (session: RequestSession) => {
    const r = raw as IncomingMessage & { session?: unknown; sessionHandle?: unknown };
    r.session = session.data;
    r.sessionHandle = session;
    return session;
  };
  const loaded = engine.loadNow(viewOf(raw), notHeld(), ignore);
  return loaded instanceof Promise ? loaded.then(expose) : expose(loaded);
}

/** Loads (or finds, when a middleware loaded it) the session of a Fastify request. */
export function loadRequestSession(
  engine: SessionEngine,
  request: FastifyRequestShape,
): RequestSession | Promise<RequestSession> {
  const view = viewOf(request.raw);
  view.fastifyRequest = request;
  return engine.sessionOf(view) ?? engine.loadNow(view, notHeld(), ignore);
}

/** The request's session, once loaded. */
export function requestSessionOf(
  engine: SessionEngine,
  request: FastifyRequestShape,
): RequestSession | undefined {
  const view = views.get(request.raw);
  return view && engine.sessionOf(view);
}

const linesOf = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/**
 * The Set-Cookie lines the response will carry. Fastify's `writeHead` lets the reply's own
 * header win over one set on the Node response (a Nest middleware's `res.setHeader`): both
 * are kept here, the Node response's first, each line once (Nest's `appendHeader` writes the
 * same lines to both).
 */
function setCookiesOf(reply: FastifyReplyShape): string[] {
  const own = linesOf(reply.getHeader('set-cookie'));
  const raw = linesOf(reply.raw.getHeader('set-cookie'));
  if (raw.length === 0) return own;
  return [...new Set([...raw, ...own])];
}

/** The cookies of the request, as it sent them (before `countResponseCookies` changed them). */
const requestPairs = new WeakMap<RequestSession, RequestSession['cookies']['pairs']>();

/**
 * The application's own Set-Cookie lines count against the budget: the engine measures the
 * site's other cookies from `session.cookies`, which becomes what the browser will hold once
 * this response is applied (src/fastify/response-cookies.ts).
 */
function countResponseCookies(session: RequestSession, lines: string[]): void {
  let original = requestPairs.get(session);
  if (!original) {
    original = session.cookies.pairs;
    requestPairs.set(session, original);
  }
  const ours = new Set(session.setCookies);
  session.cookies.pairs = cookiesAfterResponse(
    { values: session.cookies.values, pairs: original },
    lines.filter((line) => !ours.has(line)),
    Date.now(),
  );
}

/**
 * Commits the session (store writes first) and puts its Set-Cookie lines on the reply, after
 * the lines the reply already has: those of `reply.header('set-cookie', …)`, of
 * `@fastify/cookie`'s `reply.setCookie` (written by its own `onSend` hook, registered
 * earlier) and of a Node `setHeader` on `reply.raw`. Earlier
 * lines of the session's own cookies are replaced, never repeated.
 */
export function commitRequestSession(
  engine: SessionEngine,
  request: FastifyRequestShape,
  reply: FastifyReplyShape,
): Promise<void> {
  const view = views.get(request.raw);
  const session = view && engine.sessionOf(view);
  if (!view || !session) return Promise.resolve();
  countResponseCookies(session, setCookiesOf(reply));
  const headers = {
    get headersSent() {
      return reply.raw.headersSent;
    },
    getHeader: (name: string) =>
      name === 'set-cookie' ? setCookiesOf(reply) : reply.getHeader(name),
    setHeader: (name: string, value: unknown) => {
      // `reply.header('set-cookie', …)` appends to what is there: the merged list replaces it.
      reply.removeHeader(name);
      reply.header(name, value);
    },
  };
  return engine.commit(view, headers as unknown as ServerResponse);
}
