import { SessionEngine } from '../core/session-engine.js';
import { SessionStoreUnavailableError } from '../errors/errors.js';
import type { ChunkedSessionOptions } from '../options/options.types.js';
import { resolveOptions } from '../options/resolve-options.js';
import type { FastifyInstanceShape } from './fastify-shapes.js';
import { addSessionHooks } from './session-hooks.js';

interface FastifyLog {
  warn(message: string): void;
  error(object: unknown, message?: string): void;
}

/** What a client is told when a store fails; the store's own message goes to the log only. */
const UNAVAILABLE = 'Session store unavailable';

/**
 * A store failure as Fastify's error handler answers it: `503` and the error's `code` and a
 * message that names no host, port or folder. The original is its `cause`.
 */
function publicError(error: SessionStoreUnavailableError): Error {
  const answer = new SessionStoreUnavailableError(UNAVAILABLE, { cause: error });
  return Object.assign(answer, { statusCode: 503 });
}

/**
 * The session for a plain Fastify 5 application:
 * `await app.register(chunkedSession, options)` gives `request.session` and
 * `request.sessionHandle` on every route of the instance (not encapsulated: the plugin
 * carries `Symbol.for('skip-override')`, as `fastify-plugin` would set). Options are
 * validated here; a bad one fails the registration. Register `@fastify/cookie`, if used,
 * before it, so its cookies count against the budget.
 */
export function chunkedSession(
  fastify: unknown,
  options: ChunkedSessionOptions,
  done: (error?: Error) => void,
): void {
  const instance = fastify as FastifyInstanceShape & { log: FastifyLog };
  const log = instance.log;
  let engine: SessionEngine;
  try {
    engine = new SessionEngine(
      resolveOptions(options, {
        warn: (message) => log.warn(`nestjs-chunked-session: ${message}`),
        error: (message) => log.error(`nestjs-chunked-session: ${message}`),
      }),
    );
  } catch (error) {
    done(error as Error);
    return;
  }
  const logged = new WeakSet<object>();
  addSessionHooks(instance, engine, {
    toReplyError: (error) => {
      if (!(error instanceof SessionStoreUnavailableError)) return error;
      if (!logged.has(error)) {
        logged.add(error);
        engine.options.logger.error(error.message);
      }
      return publicError(error);
    },
    warn: (message) => engine.options.logger.warn(message),
  });
  done();
}

Object.assign(chunkedSession, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'nestjs-chunked-session',
  [Symbol.for('plugin-meta')]: { name: 'nestjs-chunked-session', fastify: '5.x' },
});
