import { Logger, ServiceUnavailableException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { SessionStoreUnavailableError } from '../errors/errors.js';
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

const logger = new Logger('ChunkedSession');
/**
 * Errors already logged. A request fails once (the engine marks its session `failed`, so later
 * commits write nothing); should one error still be mapped twice, it is logged once.
 */
const logged = new WeakSet<SessionStoreUnavailableError>();

/**
 * The one place a store failure becomes HTTP 503 in Nest; other errors pass unchanged. The
 * failure's detail is logged here (Nest's Logger, context `ChunkedSession`), once per error.
 */
export function toHttpError(error: unknown): unknown {
  if (!(error instanceof SessionStoreUnavailableError)) return error;
  if (!logged.has(error)) {
    logged.add(error);
    logger.error(error.message);
  }
  return new ServiceUnavailableException({ ...BODY }, { cause: error });
}

/** Answers 503 directly, for a commit that fails while the response is being written. */
export function answerServiceUnavailable(res: ServerResponse, error: unknown): void {
  const http = toHttpError(error);
  if (!(http instanceof ServiceUnavailableException)) {
    // Not a store failure: a bug (a shrinker's or the library's). Answer 500, and say why.
    logger.error(
      `the session could not be written: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
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
