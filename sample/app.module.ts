import { Module, type DynamicModule } from '@nestjs/common';
import { ChunkedSessionModule, type ChunkedSessionOptions, type SessionStore } from './library.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample.config.js';
import { ShopController } from './shop.controller.js';
import { ShopShrinkers } from './shop.shrinkers.js';
import type { ShrinkLog } from './shrink-log.js';

export interface AppModuleOptions {
  /** At least 32 characters. */
  secret: string;
  /** Where `user`, `roles` and `visitor` are kept. */
  store: SessionStore;
  /** Names the store on the page ("FileStore in /tmp/…"). */
  storeLabel: string;
  shrinkLog: ShrinkLog;
  /** The session's limits (default: the browser's, behind stock proxies). */
  limits?: ChunkedSessionOptions['limits'];
}

/** The shop: one controller, its shrink policies, and the session module configured for it. */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    const config: SampleConfig = {
      shrinkLog: options.shrinkLog,
      partitions: [
        { cookieName: 'sid', fields: 'visitor, user, roles', where: options.storeLabel },
        { cookieName: 'prefs', fields: 'prefs', where: 'its own cookie' },
        {
          cookieName: 'shop',
          fields: 'everything else: cart, recentlyViewed',
          where: 'chunked cookies shop, shop.1, …',
        },
      ],
    };
    return {
      module: AppModule,
      imports: [
        ChunkedSessionModule.forRoot({
          secret: options.secret,
          // Partitions share the browser's budget in this order: the small ones first.
          sessions: [
            { cookieName: 'sid', fields: ['visitor', 'user', 'roles'], store: options.store },
            { cookieName: 'prefs', fields: ['prefs'] },
            { cookieName: 'shop', fields: 'auto' },
          ],
          limits: options.limits,
          onShrink: (event) => options.shrinkLog.record(event),
          // "Keep me signed in": a week in the browser, signed out after three idle days.
          remember: { maxAge: 7 * 86400, idleTimeout: 3 * 86400 },
        }),
      ],
      controllers: [ShopController],
      providers: [ShopShrinkers, { provide: SAMPLE_CONFIG, useValue: config }],
    };
  }
}
