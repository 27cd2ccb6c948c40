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
import { loadForNodeResponse, type ReplacedResponse } from '../core/node-response.js';
import { SessionEngine } from '../core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';
import { interceptResolver } from './context-commit.js';
import { isFastifyReply } from './fastify-platform.js';
import { answerServiceUnavailable, toHttpError } from './service-unavailable.js';

/**
 * Loads the session if nothing has yet. Not registered globally: the module's middleware (or
 * its Fastify hooks) loads every HTTP request's session, the response hooks write it once, just
 * before the headers go out, and the module puts its resolver and gateway work on those classes
 * itself (class-enhancers.ts). Exported for an application that mounts the module's middleware
 * nowhere (a custom HTTP adapter) and applies this with `@UseInterceptors()`.
 */
@Injectable()
export class ChunkedSessionInterceptor implements NestInterceptor {
  constructor(@Inject(CHUNKED_SESSION_ENGINE) private readonly engine: SessionEngine) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = context.getType<string>();
    if (type === 'graphql') return interceptResolver(this.engine, context, next);
    if (type !== 'http') return next.handle(); // gateways: class-enhancers.ts
    const http = context.switchToHttp();
    const req = http.getRequest<IncomingMessage>();
    if (this.engine.options.isExcluded(req)) return next.handle(); // `exclude`: no session here
    const res = http.getResponse<ServerResponse>();
    // On Fastify the module's hooks load and write the session (src/nest/fastify-platform.ts).
    if (isFastifyReply(res) || this.engine.sessionOf(req) !== undefined) return next.handle();
    const { logger } = this.engine.options;
    let loaded;
    try {
      loaded = loadForNodeResponse(this.engine, req, res, (error, replaced?: ReplacedResponse) =>
        answerServiceUnavailable(res, error, logger, replaced),
      );
    } catch (error) {
      throw toHttpError(error, logger);
    }
    if (!isPromise(loaded)) return next.handle();
    return from(loaded.catch((error: unknown) => Promise.reject(toHttpError(error, logger)))).pipe(
      switchMap(() => next.handle()),
    );
  }
}
