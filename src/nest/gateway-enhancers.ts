import { Inject, Injectable, type CallHandler, type ExecutionContext } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { SessionEngine } from '../core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';
import { interceptSocketMessage } from './context-commit.js';
import { SocketSessionGuard } from './socket-session.guard.js';

/** `@WebSocketGateway()`'s class metadata (@nestjs/websockets `GATEWAY_METADATA`). */
const GATEWAY_METADATA = 'websockets:is_gateway';
/** `@UseGuards()` / `@UseInterceptors()` class metadata (@nestjs/common `constants`). */
const GUARDS_METADATA = '__guards__';
const INTERCEPTORS_METADATA = '__interceptors__';
/** Marks this module's enhancers, so that a later application replaces an earlier one's. */
const OURS = Symbol('nestjs-chunked-session gateway enhancer');
const notOurs = (enhancer: unknown) => !(enhancer as { [OURS]?: true } | null)?.[OURS];

/**
 * Puts the session's guard and interceptor first on every gateway class, as instances (as
 * `@UseGuards(new Guard())` does): NestJS 11 applies no global guard or interceptor to gateways
 * (its `WsContextCreator` is built without the application config), NestJS 12 does, so the
 * global ones leave gateway messages to these. It runs while providers are instantiated, before
 * `app.init()` binds the gateways' handlers, which is when Nest reads this metadata.
 */
@Injectable()
export class GatewayEnhancers {
  constructor(
    discovery: DiscoveryService,
    @Inject(CHUNKED_SESSION_ENGINE) engine: SessionEngine,
    guard: SocketSessionGuard,
  ) {
    const gatewayGuard = {
      [OURS]: true,
      canActivate: (context: ExecutionContext) => guard.canActivateMessage(context),
    };
    const gatewayInterceptor = {
      [OURS]: true,
      intercept: (context: ExecutionContext, next: CallHandler): Observable<unknown> =>
        interceptSocketMessage(engine, context, next),
    };
    for (const wrapper of discovery.getProviders()) {
      const type = wrapper.metatype as object | undefined;
      if (!type || typeof type !== 'function' || !Reflect.getMetadata(GATEWAY_METADATA, type))
        continue;
      // A gateway class serves one application at a time (one per process, or one per test).
      const guards = ((Reflect.getMetadata(GUARDS_METADATA, type) ?? []) as unknown[]).filter(
        notOurs,
      );
      const interceptors = (
        (Reflect.getMetadata(INTERCEPTORS_METADATA, type) ?? []) as unknown[]
      ).filter(notOurs);
      Reflect.defineMetadata(GUARDS_METADATA, [gatewayGuard, ...guards], type);
      Reflect.defineMetadata(INTERCEPTORS_METADATA, [gatewayInterceptor, ...interceptors], type);
    }
  }
}
