import {
  Global,
  Inject,
  Logger,
  Module,
  Optional,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { SessionEngine } from '../core/session-engine.js';
import type { ChunkedSessionOptions } from '../options/options.types.js';
import { resolveOptions } from '../options/resolve-options.js';
import { ChunkedSessionInterceptor } from './chunked-session.interceptor.js';
import { ChunkedSessionMiddleware } from './chunked-session.middleware.js';
import {
  CHUNKED_SESSION_ENGINE,
  CHUNKED_SESSION_OPTIONS,
  ChunkedSessionConfigurableModule,
} from './chunked-session.module-definition.js';
import { GatewayEnhancers } from './gateway-enhancers.js';
import { useFastifyHooks } from './fastify-platform.js';
import { ShrinkerExplorer } from './shrinker.explorer.js';
import { SocketSessionGuard } from './socket-session.guard.js';

/**
 * The global session module: `ChunkedSessionModule.forRoot(options)` or `forRootAsync(...)`.
 * Mounts a middleware that loads the session before guards, registers the interceptor that
 * writes it, and finds `@Shrinker()` methods on every provider. On Fastify, hooks on the
 * adapter's instance load and write it instead (src/nest/fastify-platform.ts).
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: CHUNKED_SESSION_ENGINE,
      inject: [CHUNKED_SESSION_OPTIONS],
      useFactory: (options: ChunkedSessionOptions) => {
        const logger = new Logger('ChunkedSession');
        return new SessionEngine(
          resolveOptions(options, {
            warn: (m) => logger.warn(m),
            error: (m) => logger.error(m),
          }),
        );
      },
    },
    ChunkedSessionInterceptor,
    { provide: APP_INTERCEPTOR, useExisting: ChunkedSessionInterceptor },
    ChunkedSessionMiddleware,
    ShrinkerExplorer,
    // Gateways and GraphQL subscriptions: reads a connection's session before other guards.
    SocketSessionGuard,
    { provide: APP_GUARD, useExisting: SocketSessionGuard },
    GatewayEnhancers,
  ],
  exports: [CHUNKED_SESSION_ENGINE, ChunkedSessionInterceptor],
})
export class ChunkedSessionModule extends ChunkedSessionConfigurableModule implements NestModule {
  constructor(
    @Inject(CHUNKED_SESSION_ENGINE) private readonly engine: SessionEngine,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    if (useFastifyHooks(this.adapterHost, this.engine, consumer)) return;
    consumer.apply(ChunkedSessionMiddleware).forRoutes('{*splat}');
  }
}
