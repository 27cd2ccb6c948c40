import { isPromise, type MaybePromise } from '../core/maybe-async.js';
import type { SessionEngine } from '../core/session-engine.js';
import type { RequestSession } from '../core/session-state.js';
import { commitRequestSession, loadRequestSession, requestSessionOf } from './engine-bridge.js';
import type {
  FastifyInstanceShape,
  FastifyReplyShape,
  FastifyRequestShape,
} from './fastify-shapes.js';

/** How a platform answers a failure: the error given to Fastify (its error handler answers it). */
export interface SessionHookErrors {
  /** Maps a load or commit failure (a failing store: `SessionStoreUnavailableError`). */
  toReplyError(error: unknown, request: FastifyRequestShape, reply: FastifyReplyShape): unknown;
  /** Logs one warning. */
  warn(message: string): void;
}

/**
 * The session on a Fastify instance, for the plain plugin and the Nest module alike:
 * - `onRequest` loads it (waiting only when a store must be read) and sets `request.session`
 *   and `request.sessionHandle`, before parsing, validation, Nest guards and handlers;
 * - `onSend`, which Fastify awaits before it writes the head, commits it: store writes
 *   finish, then the Set-Cookie lines join the reply's own. A failure goes to Fastify's error
 *   handler (which answers it through `onSend` again, where the failed session writes nothing);
 * - `onResponse` notices a response that never went through `onSend` (`reply.raw` written
 *   by hand, `reply.hijack()`): its session changes are lost, which is said once.
 * Fastify runs hooks in the order they were added: `onSend` hooks added before these (such as
 * `@fastify/cookie`'s, when it is registered first) have written their lines by then.
 */
export function addSessionHooks(
  instance: FastifyInstanceShape,
  engine: SessionEngine,
  errors: SessionHookErrors,
): void {
  for (const name of ['session', 'sessionHandle']) {
    if (!instance.hasRequestDecorator(name)) instance.decorateRequest(name, null);
  }
  const sent = new WeakSet<FastifyRequestShape>();
  let warned = false;

  const expose = (request: FastifyRequestShape, session: RequestSession) => {
    request.session = session.data;
    request.sessionHandle = session;
  };

  instance.addHook('onRequest', (request, reply, done) => {
    // `exclude`: no session here (nothing loaded, so `onSend` writes nothing either).
    if (engine.options.isExcluded(request.raw)) {
      done();
      return;
    }
    let loaded: MaybePromise<RequestSession>;
    try {
      loaded = loadRequestSession(engine, request);
    } catch (error) {
      done(errors.toReplyError(error, request, reply));
      return;
    }
    if (!isPromise(loaded)) {
      expose(request, loaded);
      done();
      return;
    }
    loaded.then(
      (session) => {
        expose(request, session);
        done();
      },
      (error: unknown) => done(errors.toReplyError(error, request, reply)),
    );
  });

  instance.addHook('onSend', (request, reply, payload, done) => {
    sent.add(request);
    let committed: MaybePromise<void>;
    try {
      committed = commitRequestSession(engine, request, reply);
    } catch (error) {
      done(errors.toReplyError(error, request, reply));
      return;
    }
    // A cookie-only session commits at once: no Promise, no wait.
    if (!isPromise(committed)) {
      done(null, payload);
      return;
    }
    committed.then(
      () => done(null, payload),
      (error: unknown) => done(errors.toReplyError(error, request, reply)),
    );
  });

  instance.addHook('onResponse', (request, _reply, done) => {
    if (!warned && !sent.has(request) && requestSessionOf(engine, request)) {
      warned = true;
      errors.warn(
        `the response to ${request.method} ${request.url} was written through reply.raw or after reply.hijack(), which Fastify's onSend hooks never see: session changes made for such responses are not saved. Answer with reply.send() (this is said once).`,
      );
    }
    done();
  });
}
