import {
  Inject,
  Injectable,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { SessionEngine } from '../core/session-engine.js';
import { CHUNKED_SESSION_ENGINE } from './chunked-session.module-definition.js';
import { interceptResolver, interceptSocketMessage } from './context-commit.js';
import { SocketSessionGuard } from './socket-session.guard.js';

/** `@WebSocketGateway()`'s class metadata (@nestjs/websockets `GATEWAY_METADATA`). */
const GATEWAY_METADATA = 'websockets:is_gateway';
/**
 * `@Resolver()`'s class metadata (@nestjs/graphql `RESOLVER_NAME_METADATA`, set by its
 * `addResolverMetadata`; its value is `undefined` for a resolver without a name, so `hasMetadata`).
 */
const RESOLVER_NAME_METADATA = 'graphql:resolver_name';
/** `@UseGuards()` / `@UseInterceptors()` class metadata (@nestjs/common `constants`). */
const GUARDS_METADATA = '__guards__';
const INTERCEPTORS_METADATA = '__interceptors__';
/** Marks this module's enhancers, so that a later application replaces an earlier one's. */
const OURS = Symbol('nestjs-chunked-session class enhancer');
const notOurs = (enhancer: unknown) => !(enhancer as { [OURS]?: true } | null)?.[OURS];

/**
 * Puts the session's guard and interceptor first on every gateway class and every GraphQL
 * resolver class, as instances (as `@UseGuards(new Guard())` does), and nowhere else: HTTP
 * routes need neither (the module's middleware loads the session and the response hooks write
 * it), and a global guard or interceptor would cost every route Nest's guard and RxJS pipeline.
 * - Gateways: the guard reads the connection's session, the interceptor commits store
 *   partitions when the handler ends (NestJS 11 applies no global enhancer to gateways).
 * - Resolvers: the guard reads a `graphql-ws` subscription's connection session, the
 *   interceptor marks the HTTP response as a GraphQL one (for the 503 body) and loads the
 *   session if nothing has. Field resolvers get them as Nest gives them class enhancers
 *   (`fieldResolverEnhancers` of the GraphQL module).
 * It runs while providers are instantiated, before `app.init()` binds the gateways' handlers
 * and the GraphQL module builds its resolvers, which is when Nest reads this metadata.
 */
@Injectable()
export class ClassEnhancers {
  constructor(
    discovery: DiscoveryService,
    @Inject(CHUNKED_SESSION_ENGINE) engine: SessionEngine,
    guard: SocketSessionGuard,
  ) {
    const gateway = ours(
      (c) => guard.canActivateMessage(c),
      (c, next) => interceptSocketMessage(engine, c, next),
    );
    const resolver = ours(
      (c) => guard.canActivateResolver(c),
      (c, next) => interceptResolver(engine, c, next),
    );
    for (const wrapper of discovery.getProviders()) {
      const type = wrapper.metatype as object | undefined;
      if (!type || typeof type !== 'function') continue;
      if (Reflect.getMetadata(GATEWAY_METADATA, type)) putFirst(type, gateway);
      else if (Reflect.hasMetadata(RESOLVER_NAME_METADATA, type)) putFirst(type, resolver);
    }
  }
}

interface Enhancers {
  guard: CanActivate;
  interceptor: NestInterceptor;
}

/** A guard and an interceptor, marked as this module's. */
function ours(
  canActivate: (context: ExecutionContext) => boolean | Promise<boolean>,
  intercept: (context: ExecutionContext, next: CallHandler) => Observable<unknown>,
): Enhancers {
  const guard: CanActivate = Object.assign({ canActivate }, { [OURS]: true });
  const interceptor: NestInterceptor = Object.assign({ intercept }, { [OURS]: true });
  return { guard, interceptor };
}

/** Our guard and interceptor before the class's own (a class serves one application at a time). */
function putFirst(type: object, enhancers: Enhancers): void {
  const guards = ((Reflect.getMetadata(GUARDS_METADATA, type) ?? []) as unknown[]).filter(notOurs);
  const interceptors = (
    (Reflect.getMetadata(INTERCEPTORS_METADATA, type) ?? []) as unknown[]
  ).filter(notOurs);
  Reflect.defineMetadata(GUARDS_METADATA, [enhancers.guard, ...guards], type);
  Reflect.defineMetadata(INTERCEPTORS_METADATA, [enhancers.interceptor, ...interceptors], type);
}
