import {
  Global,
  Inject,
  Logger,
  Module,
  Optional,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
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
import { ClassEnhancers } from './class-enhancers.js';
import { mountOnExpress } from './express-platform.js';
import { useFastifyHooks } from './fastify-platform.js';
import { ShrinkerExplorer } from './shrinker.explorer.js';
import { SocketSessionGuard } from './socket-session.guard.js';

/**
 * The global session module: `ChunkedSessionModule.forRoot(options)` or `forRootAsync(...)`.
 * On Express, mounts a middleware that loads the session before anything of Nest's runs (the
 * response hooks write it: src/core/node-response.ts); on Fastify, hooks on the adapter's
 * instance load and write it (src/nest/fastify-platform.ts). Puts the session's guard and
 * interceptor on gateways and resolvers (class-enhancers.ts), and finds `@Shrinker()` methods
 * on every provider. Nothing global: a Nest guard or interceptor on every route would cost
 * each request Nest's guard and RxJS pipeline, for nothing an HTTP route needs.
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
    // Exported for `@UseInterceptors()`; not global (see above).
    ChunkedSessionInterceptor,
    ChunkedSessionMiddleware,
    ShrinkerExplorer,
    // Gateways and GraphQL resolvers: a connection's session, read before the class's guards.
    SocketSessionGuard,
    ClassEnhancers,
  ],
  exports: [CHUNKED_SESSION_ENGINE, ChunkedSessionInterceptor],
})
export class ChunkedSessionModule extends ChunkedSessionConfigurableModule implements NestModule {
  constructor(
    @Inject(CHUNKED_SESSION_ENGINE) private readonly engine: SessionEngine,
    private readonly middleware: ChunkedSessionMiddleware,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    if (useFastifyHooks(this.adapterHost, this.engine, consumer)) return;
    if (mountOnExpress(this.adapterHost, this.middleware)) return;
    consumer.apply(ChunkedSessionMiddleware).forRoutes('{*splat}');
  }
}
