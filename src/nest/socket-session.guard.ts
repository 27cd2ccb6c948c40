import {
  Inject,
  Injectable,
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
 * since, before the class's own guards run: put first on every gateway class for gateway
 * messages, and on every resolver class for GraphQL subscriptions over `graphql-ws`
 * (class-enhancers.ts). HTTP requests never meet it (the module's middleware loaded theirs).
 */
@Injectable()
export class SocketSessionGuard implements OnApplicationBootstrap {
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

  /** A resolver's call: a subscription over `graphql-ws` reads its connection's session. */
  canActivateResolver(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType<string>() !== 'graphql') return true;
    const req = subscriptionRequestOf(context);
    return req ? readConnectionSession(this.engine, context, req) : true;
  }

  /** Reads a gateway message's session. */
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
