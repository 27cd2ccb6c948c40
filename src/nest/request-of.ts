import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Finds the request behind a Nest execution context without importing `@nestjs/graphql` or
 * `@nestjs/websockets` (both optional): Nest's `ExecutionContext.getType()` says `'graphql'`
 * for resolvers (the GraphQL context is the third resolver argument: `(root, args, context,
 * info)`), and `'ws'` for gateway handlers (the first argument is the client).
 * The same approach as nestjs-i18n's `getContextObject` and nestjs-cls's interceptor.
 */

/** What a request object may carry once the session is loaded. */
interface SessionCarrier {
  session?: Record<string, unknown>;
  sessionHandle?: unknown;
}

/**
 * The GraphQL context as the drivers build it: Apollo's is what the application's `context`
 * function returns (`{ req }`; `{ request }` on Fastify); Mercurius's is `{ app, reply, ...}`
 * with the `FastifyRequest` as `req`, which Nest's `MercuriusDriver` adds unless the
 * application's `context` set `req` itself (@nestjs/mercurius `wrapContextResolver`).
 */
interface GraphqlContext {
  req?: object;
  request?: object;
  reply?: { request?: object; raw?: ServerResponse };
}

/** The platform request object that carries `session` for this context, if any. */
export function requestOf(context: ExecutionContext): SessionCarrier | undefined {
  const type = context.getType<string>();
  if (type === 'http') return context.switchToHttp().getRequest<SessionCarrier>();
  if (type === 'graphql') {
    const gql = context.getArgByIndex<GraphqlContext | undefined>(2);
    const request = (gql?.req ?? gql?.reply?.request ?? gql?.request) as SessionCarrier | undefined;
    if (request && 'session' in request) return request;
    // A subscription over graphql-ws: the connection's upgrade request.
    return (subscriptionRequestOf(context) as SessionCarrier | undefined) ?? request;
  }
  if (type === 'ws') return handshakeOf(context.switchToWs().getClient<object>()) as SessionCarrier;
  return undefined;
}

/**
 * The Node request and response behind a GraphQL resolver's context: Express's `req` (whose
 * `res` Express sets), or a Fastify request's `raw` with the reply's `raw` (Mercurius).
 */
export function graphqlHttpOf(
  context: ExecutionContext,
): { req: IncomingMessage; res: ServerResponse } | undefined {
  const gql = context.getArgByIndex<GraphqlContext | undefined>(2);
  const request = (gql?.req ?? gql?.reply?.request ?? gql?.request) as
    (IncomingMessage & { raw?: IncomingMessage; res?: ServerResponse }) | undefined;
  if (!request) return undefined;
  const req = request.raw ?? request;
  const res = gql?.reply?.raw ?? request.res ?? (req as { res?: ServerResponse }).res;
  return res ? { req, res } : undefined;
}

/**
 * The handshake requests of `ws` clients, by their TCP socket: `ws` (since 3.0) keeps no
 * reference to the upgrade request, so the module records it from the HTTP server's `upgrade`
 * event, and finds it again from the client's socket.
 */
const upgrades = new WeakMap<object, IncomingMessage>();

/** Records an upgrade request (the HTTP server's `upgrade` event). */
export function recordUpgrade(req: IncomingMessage): void {
  upgrades.set(req.socket, req);
}

/**
 * A gateway client's handshake request: socket.io keeps it as `socket.request`; a `ws`
 * WebSocket holds its TCP socket as `_socket` (ws 1.x to 8.x), which leads to the request
 * recorded from the `upgrade` event.
 */
export function handshakeOf(client: object | undefined): IncomingMessage | undefined {
  if (!client) return undefined;
  const io = (client as { request?: IncomingMessage }).request;
  if (io && typeof io === 'object' && 'headers' in io) return io;
  const socket = (client as { _socket?: object })._socket;
  return socket ? upgrades.get(socket) : undefined;
}

/**
 * The upgrade request of a GraphQL subscription over `graphql-ws`: Nest's GraphQL context
 * there is `{ connectionParams, extra }` with `extra.request`, or whatever the application's
 * `context` function made of it (`{ req: extra.request }`). `undefined` for HTTP requests.
 */
export function subscriptionRequestOf(context: ExecutionContext): IncomingMessage | undefined {
  if (graphqlHttpOf(context)) return undefined;
  type WsContext = { req?: unknown; extra?: { request?: unknown } };
  const gql = context.getArgByIndex<WsContext | undefined>(2);
  // Nest's Apollo driver puts graphql-ws's own context in `req` when the application's
  // `context` function left `req` unset (`({ req }) => ({ req })`).
  const inner = gql?.req as WsContext | undefined;
  for (const candidate of [gql?.req, gql?.extra?.request, inner?.extra?.request]) {
    if (candidate && typeof candidate === 'object' && 'headers' in candidate) {
      return candidate as IncomingMessage;
    }
  }
  return undefined;
}
