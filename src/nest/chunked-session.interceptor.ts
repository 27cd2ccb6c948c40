import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { from, switchMap, type Observable } from 'rxjs';
import { isPromise } from '../core/maybe-async.js';
import { loadForNodeResponse } from '../core/node-response.js';
import { SessionEngine } from '../core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';
import { interceptOtherContext } from './context-commit.js';
import { isFastifyReply } from './fastify-platform.js';
import { answerServiceUnavailable, toHttpError } from './service-unavailable.js';

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
    if (this.engine.sessionOf(req) !== undefined) return next.handle();
    const res = http.getResponse<ServerResponse>();
    // On Fastify the module's hooks load and write the session (src/nest/fastify-platform.ts).
    if (isFastifyReply(res)) return next.handle();
    let loaded;
    try {
      loaded = loadForNodeResponse(this.engine, req, res, (error) =>
        answerServiceUnavailable(res, error),
      );
    } catch (error) {
      throw toHttpError(error);
    }
    if (!isPromise(loaded)) return next.handle();
    return from(loaded.catch((error: unknown) => Promise.reject(toHttpError(error)))).pipe(
      switchMap(() => next.handle()),
    );
  }
}
