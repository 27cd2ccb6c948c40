import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPromise } from '../core/maybe-async.js';
import { loadForNodeResponse } from '../core/node-response.js';
import { SessionEngine } from '../core/session-engine.js';
import type { ChunkedSessionOptions } from '../options/options.types.js';
import { resolveOptions } from '../options/resolve-options.js';

type Next = (error?: unknown) => void;

/**
 * The session for a plain Express (or Connect) application: `app.use(chunkedSession(options))`
 * gives `req.session` and `req.sessionHandle`. A failing store goes to `next(err)`, with
 * `err.status` 503. Options are validated here, at start-up.
 */
export function chunkedSession(
  options: ChunkedSessionOptions,
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const engine = new SessionEngine(resolveOptions(options));
  return (req, res, next) => {
    if (engine.options.isExcluded(req)) return next(); // `exclude`: no session here
    let loaded;
    try {
      loaded = loadForNodeResponse(engine, req, res, (error) => next(error));
    } catch (error) {
      return next(error);
    }
    if (!isPromise(loaded)) return next();
    loaded.then(
      () => next(),
      (error: unknown) => next(error),
    );
  };
}
