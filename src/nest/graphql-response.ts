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
