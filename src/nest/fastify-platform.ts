import { Logger, type MiddlewareConsumer } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { isPromise, type MaybePromise } from '../core/maybe-async.js';
import type { SessionEngine } from '../core/session-engine.js';
import { loadRawSession } from '../fastify/engine-bridge.js';
import type { FastifyInstanceShape } from '../fastify/fastify-shapes.js';
import { addSessionHooks } from '../fastify/session-hooks.js';
import { storeFailureError } from './graphql-response.js';
import { toHttpError } from './service-unavailable.js';

/**
 * On `FastifyAdapter` (`@nestjs/platform-fastify`), Nest middleware sees only the Node
 * request (`request.raw`), and Fastify writes its whole head in one `writeHead` after its
 * `onSend` hooks: wrapping the Node response's methods, as on Express, cannot work. So:
 * - a Nest middleware loads the session, as on Express (application middleware after it
 *   sees `req.session` on the Node request);
 * - Fastify hooks on the adapter's instance (src/fastify/session-hooks.ts), added here,
 *   before Nest registers its routes, give it to the `FastifyRequest` and write it in `onSend`.
 * Returns `false` on any other platform (the module then mounts its Express middleware).
 */
export function useFastifyHooks(
  adapterHost: HttpAdapterHost | undefined,
  engine: SessionEngine,
  consumer: MiddlewareConsumer,
): boolean {
  const adapter = adapterHost?.httpAdapter;
  if (!adapter || adapter.getType() !== 'fastify') return false;
  const logger = new Logger('ChunkedSession');
  consumer
    .apply((req: IncomingMessage, _res: unknown, next: (error?: unknown) => void) => {
      let loaded: MaybePromise<unknown>;
      try {
        loaded = loadRawSession(engine, req);
      } catch (error) {
        throw toHttpError(error);
      }
      if (!isPromise(loaded)) return next();
      return loaded.then(
        () => next(),
        (error: unknown) => {
          throw toHttpError(error);
        },
      );
    })
    .forRoutes('{*splat}');
  addSessionHooks(adapter.getInstance<FastifyInstanceShape>(), engine, {
    // A store failure becomes the same 503 as on Express, through the route's error handler
    // (Fastify hands a hook's error to it: Nest's, or Mercurius's on its route), logged once.
    // A GraphQL operation's gets a GraphQL error (graphql-response.ts).
    toReplyError: (error, _request, reply) => storeFailureError(reply.raw, toHttpError(error)),
    warn: (message) => logger.warn(message),
  });
  return true;
}

/** A Fastify reply (Express responses have no `hijack`): the hooks commit, not the interceptor. */
export function isFastifyReply(response: unknown): boolean {
  return typeof (response as { hijack?: unknown } | undefined)?.hijack === 'function';
}
