import {
  ServiceUnavailableException,
  type CallHandler,
  type ExecutionContext,
} from '@nestjs/common';
import { catchError, from, mergeMap, of, switchMap, type Observable } from 'rxjs';
import { isPromise } from '../core/maybe-async.js';
import { loadForNodeResponse } from '../core/node-response.js';
import type { SessionEngine } from '../core/session-engine.js';
import { asGraphqlError, markGraphqlResponse } from './graphql-response.js';
import { graphqlHttpOf, handshakeOf, subscriptionRequestOf } from './request-of.js';
import { answerServiceUnavailable, toHttpError } from './service-unavailable.js';
import { failedSocketLoads } from './socket-session.guard.js';
import type { SocketSession } from './socket-session.js';
import { socketSessionsOf } from './socket-sessions.js';

/** A store failure as a GraphQL error (logged once, by `toHttpError`); other errors unchanged. */
function toGraphqlError(error: unknown): unknown {
  return asGraphqlError(toHttpError(error));
}

/**
 * A resolver over HTTP: the session is written once, just before the response's headers go out
 * (the engine's response hooks), after every resolver of the operation; a store that fails then
 * answers 503 with a GraphQL error body (graphql-response.ts). Here the session is only loaded
 * if the module's middleware has not (Apollo's route is an Express route: it has), and the
 * response marked as a GraphQL one.
 */
export function interceptResolver(
  engine: SessionEngine,
  context: ExecutionContext,
  next: CallHandler,
): Observable<unknown> {
  const http = graphqlHttpOf(context);
  if (!http) {
    // A subscription over `graphql-ws`: the connection's session, as in a gateway.
    const req = subscriptionRequestOf(context);
    const session = req && socketSessionsOf(engine).sessionOf(req);
    return session ? afterSocketHandler(session, next, toGraphqlError, true) : next.handle();
  }
  const { req, res } = http;
  markGraphqlResponse(res);
  if (engine.sessionOf(req) !== undefined) return next.handle();
  let loaded;
  try {
    loaded = loadForNodeResponse(engine, req, res, (error, replaced) =>
      answerServiceUnavailable(res, error, undefined, replaced),
    );
  } catch (error) {
    throw toGraphqlError(error);
  }
  if (!isPromise(loaded)) return next.handle();
  return from(loaded.catch((error: unknown) => Promise.reject(toGraphqlError(error)))).pipe(
    switchMap(() => next.handle()),
  );
}

/** The result a gateway handler answers with when a store fails: its acknowledgement. */
function socketFailure(error: unknown): unknown {
  const http = toHttpError(error);
  if (http instanceof ServiceUnavailableException) return { error: http.getResponse() };
  throw http;
}

/** Commits a gateway message's session when its handler ends. */
export function interceptSocketMessage(
  engine: SessionEngine,
  context: ExecutionContext,
  next: CallHandler,
): Observable<unknown> {
  const failed = failedSocketLoads.get(context.getArgs());
  if (failed !== undefined) return of(null).pipe(mergeMap(async () => socketFailure(failed)));
  const req = handshakeOf(context.switchToWs().getClient<object>());
  const session = req && socketSessionsOf(engine).sessionOf(req);
  return session ? afterSocketHandler(session, next, socketFailure, false) : next.handle();
}

/**
 * Commits a connection's session when the handler ends. `onFailure` turns a store failure
 * into the handler's result (a gateway's acknowledgement) or throws it (`rethrow`, GraphQL).
 */
function afterSocketHandler(
  session: SocketSession,
  next: CallHandler,
  onFailure: (error: unknown) => unknown,
  rethrow: boolean,
): Observable<unknown> {
  return next.handle().pipe(
    mergeMap(async (value) => {
      try {
        await session.commit();
      } catch (error) {
        const answer = onFailure(error);
        if (rethrow) throw answer;
        return answer;
      }
      return value;
    }),
    catchError(async (error: unknown) => {
      try {
        await session.commit();
      } catch (failure) {
        toHttpError(failure); // logged; the handler's own error is what the client hears
      }
      throw error;
    }),
  );
}
