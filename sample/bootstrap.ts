import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { HtmlErrorFilter } from './html-error.filter.js';
import { FileStore, RedisStore, type SessionStore } from './library.js';
import { ShrinkLog } from './shrink-log.js';

export interface SampleOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default: a random secret, so sessions end when the sample stops. */
  secret?: string;
  /** When set, `user`, `roles` and `visitor` go to Redis instead of files. */
  redisUrl?: string;
  /** FileStore's folder. Default: the library's (`<os tmpdir>/nestjs-chunked-session`). */
  sessionDir?: string;
  /** `'fastify'` runs it on `FastifyAdapter` (`PLATFORM=fastify npm start`). Default Express. */
  platform?: 'express' | 'fastify';
  /** Nest's log levels. Default: warnings and errors (the library warns on every shrink). */
  logger?: false | ('log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal')[];
}

export interface RunningSample {
  /** `http://127.0.0.1:3000` */
  url: string;
  /** The store of the `sid` partition, as the page names it. */
  storeLabel: string;
  /** The HTTP platform it runs on. */
  platform: 'express' | 'fastify';
  /** Whether the secret was made up at start-up. */
  randomSecret: boolean;
  close(): Promise<void>;
}

/** Starts the sample shop and resolves once it listens. */
export async function startSample(options: SampleOptions = {}): Promise<RunningSample> {
  const { store, storeLabel, closeStore } = await openStore(options);
  const shrinkLog = new ShrinkLog();
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const platform = options.platform ?? 'express';
  const module = AppModule.forRoot({ secret, store, storeLabel, shrinkLog });
  const nestOptions = { logger: options.logger ?? ['error', 'warn'] } as const;
  let app: INestApplication;
  try {
    if (platform === 'fastify') {
      // The same application and session code on Fastify: only the adapter changes.
      const { FastifyAdapter } = await import('@nestjs/platform-fastify');
      app = await NestFactory.create(module, new FastifyAdapter(), nestOptions);
    } else {
      app = await NestFactory.create(module, nestOptions);
    }
    app.use(shrinkLog.middleware);
    app.useGlobalFilters(new HtmlErrorFilter());
    await app.listen(options.port ?? 3000, options.host ?? '127.0.0.1');
  } catch (error) {
    await closeStore();
    throw error;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    storeLabel,
    platform,
    randomSecret: options.secret === undefined,
    close: async () => {
      await app.close();
      await closeStore();
    },
  };
}

async function openStore(
  options: SampleOptions,
): Promise<{ store: SessionStore; storeLabel: string; closeStore: () => Promise<void> }> {
  if (!options.redisUrl) {
    const store = new FileStore({ dir: options.sessionDir });
    return { store, storeLabel: `FileStore in ${store.dir}`, closeStore: async () => undefined };
  }
  // Loaded only when asked for: the default set-up needs no Redis client.
  const { Redis } = await import('ioredis');
  const client = new Redis(options.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
  });
  client.on('error', (error: Error) => console.error(`Redis: ${error.message}`));
  await client.connect();
  const url = new URL(options.redisUrl);
  return {
    store: new RedisStore({ client, prefix: 'sample-shop:' }),
    storeLabel: `RedisStore at ${url.host}`,
    closeStore: async () => {
      await client.quit();
    },
  };
}
