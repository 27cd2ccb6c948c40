import type { HttpAdapterHost } from '@nestjs/core';
import type { ChunkedSessionMiddleware } from './chunked-session.middleware.js';

/**
 * On `ExpressAdapter` (`@nestjs/platform-express`), the session's middleware goes on the
 * Express instance itself, as `app.use()` would put it: called from the module's `configure()`,
 * it lands after the body parsers and before every Nest middleware and route, which Nest
 * registers next (NestApplication.init: parsers, modules' middleware, then the router). Through
 * Nest's `MiddlewareConsumer` it would cost each request a `{*splat}` route match and Nest's
 * middleware proxy, for the same order. Returns `false` on any other platform.
 */
export function mountOnExpress(
  adapterHost: HttpAdapterHost | undefined,
  middleware: ChunkedSessionMiddleware,
): boolean {
  const adapter = adapterHost?.httpAdapter;
  if (!adapter || adapter.getType() !== 'express') return false;
  adapter.use(middleware.use.bind(middleware));
  return true;
}
