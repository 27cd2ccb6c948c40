import { IntrinsicException, ServiceUnavailableException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';

/**
 * Responses to GraphQL operations over HTTP. A store that fails while such a response's
 * session is written answers 503 with a GraphQL response body (GraphQL over HTTP: an `errors`
 * list, each with a `message` and `extensions`), so a GraphQL client reads the error where it
 * reads every other one, with the same `code` as the HTTP body.
 */
const graphqlResponses = new WeakSet<ServerResponse>();

export function markGraphqlResponse(res: ServerResponse): void {
  graphqlResponses.add(res);
}

/**
 * What a GraphQL client is told when a store fails: an error whose `extensions` graphql-js
 * copies onto the GraphQLError (graphql-js `GraphQLError` constructor: `originalError.extensions`),
 * and whose `statusCode` Mercurius answers with when it is the only error and there is no data
 * (mercurius lib/errors.js, `defaultErrorFormatter`). No store detail in it (that is logged,
 * once: an `IntrinsicException` is not logged again by Nest's external exception filter).
 */
export class SessionStoreUnavailableGraphqlError extends IntrinsicException {
  readonly extensions = { code: 'ERR_SESSION_STORE_UNAVAILABLE', status: 503 } as const;
  readonly statusCode = 503;

  constructor(options: { cause: unknown }) {
    super('Session store unavailable', options);
    this.name = 'SessionStoreUnavailableError';
  }
}

/** The body for a store failure on `res`: a GraphQL one if `res` answers a GraphQL operation. */
export function storeFailureBody(res: ServerResponse, httpBody: string | object): string | object {
  if (!graphqlResponses.has(res)) return httpBody;
  return {
    errors: [
      {
        message: 'Session store unavailable',
        extensions: { code: 'ERR_SESSION_STORE_UNAVAILABLE', status: 503 },
      },
    ],
  };
}

/** A store failure's HTTP error (`toHttpError`'s 503) as a GraphQL error; other errors unchanged. */
export function asGraphqlError(httpError: unknown): unknown {
  return httpError instanceof ServiceUnavailableException
    ? new SessionStoreUnavailableGraphqlError({ cause: httpError.cause })
    : httpError;
}

/**
 * The error for a store failure on `res` that Fastify hands to the route's error handler (on
 * Fastify the session is written in `onSend`): a GraphQL one if `res` answers a GraphQL
 * operation, which Mercurius's error handler, the one on its route, answers with 503 and
 * `{ data: null, errors: [{ message, extensions }] }`. Other errors unchanged.
 */
export function storeFailureError(res: ServerResponse, httpError: unknown): unknown {
  return graphqlResponses.has(res) ? asGraphqlError(httpError) : httpError;
}
