import {
  IntrinsicException,
  ServiceUnavailableException,
  type CallHandler,
  type ExecutionContext,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { catchError, from, mergeMap, of, switchMap, type Observable } from 'rxjs';
import type { SessionEngine } from '../core/session-engine.js';
import { graphqlHttpOf, handshakeOf, subscriptionRequestOf } from './request-of.js';
import { answerServiceUnavailable, toHttpError } from './service-unavailable.js';
import { failedSocketLoads } from './socket-session.guard.js';
import type { SocketSession } from './socket-session.js';
import { socketSessionsOf } from './socket-sessions.js';

/**
 * The interceptor's work outside plain HTTP handlers: GraphQL resolvers (commit on the HTTP
 * response after each one) and gateway messages (commit store partitions after each one).
 * `undefined` for an HTTP context, which the interceptor handles itself.
 */
export function interceptOtherContext(
  engine: SessionEngine,
  context: ExecutionContext,
  next: CallHandler,
): Observable<unknown> | undefined {
  const type = context.getType<string>();
  if (type === 'graphql') return interceptResolver(engine, context, next);
  // Gateways: the interceptor that the module puts on each gateway (gateway-enhancers.ts).
  if (type === 'ws') return next.handle();
  return undefined;
}

/**
 * What a GraphQL client is told when a store fails: an error whose `extensions` graphql-js
 * copies onto the GraphQLError (graphql-js `GraphQLError` constructor: `originalError.extensions`),
 * with no store detail in it (that is logged, once: an `IntrinsicException` is not logged again
 * by Nest's external exception filter).
 */
export class SessionStoreUnavailableGraphqlError extends IntrinsicException {
  readonly extensions = { code: 'ERR_SESSION_STORE_UNAVAILABLE', status: 503 } as const;

  constructor(options: { cause: unknown }) {
    super('Session store unavailable', options);
    this.name = 'SessionStoreUnavailableError';
  }
}

/** A store failure as a GraphQL error; other errors unchanged. */
function toGraphqlError(error: unknown): unknown {
  const http = toHttpError(error);
  return http instanceof ServiceUnavailableException
    ? new SessionStoreUnavailableGraphqlError({ cause: error })
    : http;
}

function interceptResolver(
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
  const commit = async () => {
    try {
      await engine.commit(req, res);
    } catch (error) {
      withdrawSessionCookies(engine, req, res);
      throw toGraphqlError(error);
    }
  };
  const load = async () => {
    try {
      await engine.load(req, res, (error) => answerServiceUnavailable(res, error));
    } catch (error) {
      throw toGraphqlError(error);
    }
  };
  // The module's middleware has usually loaded the session (Apollo's route is an Express route).
  const handled =
    engine.sessionOf(req) !== undefined
      ? next.handle()
      : from(load()).pipe(switchMap(() => next.handle()));
  return handled.pipe(
    mergeMap(async (value) => {
      await commit();
      return value;
    }),
    catchError(async (error: unknown) => {
      await commit();
      throw error;
    }),
  );
}

/**
 * Nothing is half-written: when a later resolver's commit fails, the lines an earlier one put
 * on the response (one operation, several mutations) are taken back, so no cookie changes.
 */
function withdrawSessionCookies(engine: SessionEngine, req: IncomingMessage, res: ServerResponse) {
  const ours = new Set(engine.sessionOf(req)?.setCookies ?? []);
  if (ours.size === 0 || res.headersSent) return;
  const current = res.getHeader('set-cookie');
  const lines = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
  const kept = lines.filter((line) => !ours.has(line));
  if (kept.length > 0) res.setHeader('set-cookie', kept);
  else res.removeHeader('set-cookie');
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
