import { ServiceUnavailableException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { SessionStoreUnavailableError } from '../errors/errors.js';

/** The one place a store failure becomes HTTP 503 in Nest; other errors pass unchanged. */
export function toHttpError(error: unknown): unknown {
  if (!(error instanceof SessionStoreUnavailableError)) return error;
  return new ServiceUnavailableException(
    { statusCode: 503, error: 'Service Unavailable', message: error.message, code: error.code },
    { cause: error },
  );
}

/** Answers 503 directly, for a commit that fails while the response is being written. */
export function answerServiceUnavailable(res: ServerResponse, error: unknown): void {
  const http = toHttpError(error);
  const body =
    http instanceof ServiceUnavailableException
      ? http.getResponse()
      : { statusCode: 500, message: 'Internal server error' };
  for (const header of ['content-length', 'content-type', 'etag', 'content-encoding']) {
    res.removeHeader(header);
  }
  res.statusCode = http instanceof ServiceUnavailableException ? 503 : 500;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
