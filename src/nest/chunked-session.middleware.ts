import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPromise } from '../core/maybe-async.js';
import { loadForNodeResponse, type ReplacedResponse } from '../core/node-response.js';
import { SessionEngine } from '../core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';
import { answerServiceUnavailable } from './service-unavailable.js';

/**
 * Loads the session before anything of Nest's runs (guards, interceptors, pipes, handlers),
 * and makes the response carry it, whoever writes the response. Mounted on the Express
 * instance itself (express-platform.ts), so it never throws: a store that fails while the
 * session is read answers 503 here, with the same body as one that fails while it is written.
 */
@Injectable()
export class ChunkedSessionMiddleware implements NestMiddleware {
  constructor(@Inject(CHUNKED_SESSION_ENGINE) private readonly engine: SessionEngine) {}

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    if (this.engine.options.isExcluded(req)) return next(); // `exclude`: no session here
    const { logger } = this.engine.options;
    const answer = (error: unknown, replaced?: ReplacedResponse) =>
      answerServiceUnavailable(res, error, logger, replaced);
    let loaded;
    try {
      // Without a store to read, the session is loaded at once: no Promise to wait for.
      loaded = loadForNodeResponse(this.engine, req, res, answer);
    } catch (error) {
      return answer(error);
    }
    if (!isPromise(loaded)) return next();
    loaded.then(() => next(), answer);
  }
}
