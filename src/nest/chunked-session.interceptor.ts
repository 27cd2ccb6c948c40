import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { catchError, from, mergeMap, switchMap, type Observable } from 'rxjs';
import { SessionEngine } from '../core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';
import { interceptOtherContext } from './context-commit.js';
import { answerServiceUnavailable, toHttpError } from './service-unavailable.js';

/**
 * Loads the session if nothing has yet, and writes it once the handler's result is ready —
 * a value, a Promise, an Observable or a thrown exception. Registered globally by the module.
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
    const res = http.getResponse<ServerResponse>();
    const commit = async () => {
      try {
        await this.engine.commit(req, res);
      } catch (error) {
        throw toHttpError(error);
      }
    };
    // Usually the module's middleware has loaded the session already: no need to wait for it.
    const handled =
      this.engine.sessionOf(req) !== undefined
        ? next.handle()
        : from(this.load(req, res)).pipe(switchMap(() => next.handle()));
    return handled.pipe(
      mergeMap(async (value) => {
        await commit();
        return value;
      }),
      catchError(async (error: unknown) => {
        await commit();
        throw error;
      }),
    );
  }

  private async load(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.engine.load(req, res, (error) => answerServiceUnavailable(res, error));
    } catch (error) {
      throw toHttpError(error);
    }
  }
}
