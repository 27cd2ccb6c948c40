import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { from, switchMap, tap, type Observable } from 'rxjs';
import { isPromise } from '../core/maybe-async.js';
import { loadForNodeResponse } from '../core/node-response.js';
import { SessionEngine } from '../core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';
import { interceptOtherContext } from './context-commit.js';
import { isFastifyReply } from './fastify-platform.js';
import { answerServiceUnavailable, noteHandlerError, toHttpError } from './service-unavailable.js';

/**
 * Loads the session if nothing has yet (the module's middleware usually has). Writing needs
 * nothing from here: the response hooks commit the session once, just before the headers go
 * out, so whatever ran after the handler (an outer interceptor, an exception filter) is written
 * too. Registered globally by the module.
 */
@Injectable()
export class ChunkedSessionInterceptor implements NestInterceptor {
  constructor(@Inject(CHUNKED_SESSION_ENGINE) private readonly engine: SessionEngine) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // GraphQL resolvers and gateway messages (context-commit.ts).
    const other = interceptOtherContext(this.engine, context, next);
    if (other) return other;
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<IncomingMessage>();
    if (this.engine.options.isExcluded(req)) return next.handle(); // `exclude`: no session here
    const res = http.getResponse<ServerResponse>();
    // On Fastify the module's hooks load and write the session (src/nest/fastify-platform.ts).
    if (isFastifyReply(res)) return next.handle();
    const { logger } = this.engine.options;
    // A handler's error is kept (not handled) so that it is logged should a failing commit replace it.
    const handle = () =>
      next.handle().pipe(tap({ error: (e: unknown) => noteHandlerError(res, e) }));
    if (this.engine.sessionOf(req) !== undefined) return handle();
    let loaded;
    try {
      loaded = loadForNodeResponse(this.engine, req, res, (error) =>
        answerServiceUnavailable(res, error, logger),
      );
    } catch (error) {
      throw toHttpError(error, logger);
    }
    if (!isPromise(loaded)) return handle();
    return from(loaded.catch((error: unknown) => Promise.reject(toHttpError(error, logger)))).pipe(
      switchMap(handle),
    );
  }
}
