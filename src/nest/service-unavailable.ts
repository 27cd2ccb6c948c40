import { Logger, ServiceUnavailableException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { ReplacedResponse } from '../core/node-response.js';
import { SessionStoreUnavailableError } from '../errors/errors.js';
import type { SessionLogger } from '../options/resolved-options.js';
import { storeFailureBody } from './graphql-response.js';

/**
 * What a client is told when a store fails. The error's own message names the store's error
 * (a host and port, a folder's path): that goes to the log, never into the response.
 */
const BODY = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'Session store unavailable',
  code: 'ERR_SESSION_STORE_UNAVAILABLE',
} as const;

/** Nest's Logger, context `ChunkedSession`: where these go when the options give no `logger`. */
const nestLogger = new Logger('ChunkedSession');
/**
 * Errors already logged. A request fails once (the engine marks its session `failed`, so later
 * commits write nothing); should one error still be mapped twice, it is logged once.
 */
const logged = new WeakSet<SessionStoreUnavailableError>();

/** An error with its stack, for the log. */
function described(error: unknown): string {
  return error instanceof Error
    ? (error.stack ?? `${error.name}: ${error.message}`)
    : String(error);
}

/**
 * The one place a store failure becomes HTTP 503 in Nest; other errors pass unchanged. The
 * failure's detail is logged here (the module's logger: the `logger` option, else Nest's
 * Logger with context `ChunkedSession`), once per error.
 */
export function toHttpError(error: unknown, logger: SessionLogger = nestLogger): unknown {
  if (!(error instanceof SessionStoreUnavailableError)) return error;
  if (!logged.has(error)) {
    logged.add(error);
    logger.error(error.message);
  }
  return new ServiceUnavailableException({ ...BODY }, { cause: error });
}

/**
 * Answers 503 directly, for a store that fails while the session is read, or while it is
 * written (then `replaced` is what the application had answered: an error response it gave,
 * such as an HttpException's, is logged, or it would vanish; Nest's own filter logs the others).
 */
export function answerServiceUnavailable(
  res: ServerResponse,
  error: unknown,
  logger: SessionLogger = nestLogger,
  replaced?: ReplacedResponse,
): void {
  const http = toHttpError(error, logger);
  if (!(http instanceof ServiceUnavailableException)) {
    // Not a store failure: a bug (a shrinker's or the library's). Answer 500, and say why.
    logger.error(`the session could not be written: ${described(error)}`);
  }
  if (replaced && replaced.statusCode >= 400) {
    logger.error(
      `the handler's response is replaced by the failure to write the session: ${replaced.statusCode} ${replaced.body}`,
    );
  }
  const body =
    http instanceof ServiceUnavailableException
      ? storeFailureBody(res, http.getResponse()) // a GraphQL operation gets a GraphQL body
      : { statusCode: 500, message: 'Internal server error' };
  for (const header of ['content-length', 'content-type', 'etag', 'content-encoding']) {
    res.removeHeader(header);
  }
  res.statusCode = http instanceof ServiceUnavailableException ? 503 : 500;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
