import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPromise } from '../core/maybe-async.js';
import { loadForNodeResponse } from '../core/node-response.js';
import { SessionEngine } from '../core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';
import { answerServiceUnavailable, toHttpError } from './service-unavailable.js';

/**
 * Loads the session before guards run (Nest runs middleware, then guards, then interceptors),
 * and makes the response carry it, whoever writes the response.
 */
@Injectable()
export class ChunkedSessionMiddleware implements NestMiddleware {
  constructor(@Inject(CHUNKED_SESSION_ENGINE) private readonly engine: SessionEngine) {}

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) {
    let loaded;
    try {
      // Without a store to read, the session is loaded at once: no Promise to wait for.
      loaded = loadForNodeResponse(this.engine, req, res, (error) =>
        answerServiceUnavailable(res, error),
      );
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
  }
}
