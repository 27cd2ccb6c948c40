import {
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { SessionEngine } from '../core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';
import { handshakeOf, recordUpgrade, subscriptionRequestOf } from './request-of.js';
import { socketSessionsOf } from './socket-sessions.js';

/** Store failures met while reading a message's session, by the message's argument list. */
export const failedSocketLoads = new WeakMap<object, unknown>();

/**
 * Reads a connection's session from its handshake request once, and empties what has expired
 * since, before the application's guards run: registered globally (`APP_GUARD`) for GraphQL
 * subscriptions over `graphql-ws`, and put first on every gateway class for gateway messages
 * (gateway-enhancers.ts). HTTP requests pass through (the module's middleware loaded theirs).
 */
@Injectable()
export class SocketSessionGuard implements CanActivate, OnApplicationBootstrap {
  private warnedNoHandshake = false;

  constructor(
    @Inject(CHUNKED_SESSION_ENGINE) private readonly engine: SessionEngine,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** `ws` keeps no reference to the upgrade request: record it from the HTTP server's `upgrade` event. */
  onApplicationBootstrap(): void {
    const server = this.adapterHost?.httpAdapter?.getHttpServer?.() as
      { on?(event: 'upgrade', listener: (req: IncomingMessage) => void): void } | undefined;
    server?.on?.('upgrade', recordUpgrade);
  }

  /** GraphQL subscriptions over `graphql-ws` (gateways have their own guard: gateway-enhancers.ts). */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType<string>() !== 'graphql') return true;
    const req = subscriptionRequestOf(context);
    return req ? readConnectionSession(this.engine, context, req) : true;
  }

  /** Reads a gateway message's session (the guard that the module puts on every gateway). */
  canActivateMessage(context: ExecutionContext): boolean | Promise<boolean> {
    const client = context.switchToWs().getClient<object>();
    const req = handshakeOf(client);
    if (!req) {
      this.warnNoHandshake();
      return true;
    }
    // Guards find the handshake as `client.request` on both platforms (socket.io has it).
    if (!('request' in client)) {
      Object.defineProperty(client, 'request', { value: req, configurable: true });
    }
    return readConnectionSession(this.engine, context, req);
  }

  private warnNoHandshake(): void {
    if (this.warnedNoHandshake) return;
    this.warnedNoHandshake = true;
    this.engine.options.logger.warn(
      "a WebSocket message came from a client whose handshake request was not seen: its session is undefined. With @nestjs/platform-ws, run the gateway on the application's own port (the default), where the module sees the upgrade requests",
    );
  }
}

/**
 * Loads the connection's session once and empties what has expired since the handshake. A
 * store failure does not refuse the message: the interceptor answers it as the handler's
 * result, so the connection stays up.
 */
function readConnectionSession(
  engine: SessionEngine,
  context: ExecutionContext,
  req: IncomingMessage,
): boolean | Promise<boolean> {
  const args = context.getArgs();
  let loaded;
  try {
    loaded = socketSessionsOf(engine).load(req);
  } catch (error) {
    failedSocketLoads.set(args, error);
    return true;
  }
  if (!(loaded instanceof Promise)) {
    loaded.expire();
    return true;
  }
  return loaded.then(
    (session) => {
      session.expire();
      return true;
    },
    (error: unknown) => {
      failedSocketLoads.set(args, error);
      return true;
    },
  );
}
