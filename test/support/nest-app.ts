import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import express from 'express';
import type { FastifyServerOptions } from 'fastify';
import { PLATFORM, type Platform } from './platform.js';

export interface RunningApp {
  app: INestApplication;
  url: string;
  platform: Platform;
  close(): Promise<void>;
}

type LogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

export interface NestAppOptions {
  /** Called before `init`, with what both platforms' applications have (`useLogger`, …). */
  configure?: (app: INestApplication) => void;
  maxHeaderSize?: number;
  logger?: false | LogLevel[];
  /** Express `trust proxy` / Fastify `trustProxy` (`true`, or `'loopback'`…): `X-Forwarded-Proto` is believed. */
  trustProxy?: boolean | string;
  /** Options for `Fastify()` on Fastify (`onProtoPoisoning`, …). */
  fastifyOptions?: FastifyServerOptions;
  /** Defaults to `PLATFORM` (the `PLATFORM` environment variable). */
  platform?: Platform;
}

/**
 * Starts a real Nest application on a loopback port over Node's own HTTP server
 * (`maxHeaderSize` raises Node's 16 KiB request-header limit), on Express or on Fastify.
 */
export async function startNestApp(
  module: unknown,
  options: NestAppOptions = {},
): Promise<RunningApp> {
  const platform = options.platform ?? PLATFORM;
  const logger = options.logger ?? false;
  let app: INestApplication;
  let server: Server;
  if (platform === 'fastify') {
    const adapter = new FastifyAdapter({
      ...options.fastifyOptions,
      trustProxy: options.trustProxy ?? false,
      serverFactory: (handler: RequestListener) =>
        createServer({ maxHeaderSize: options.maxHeaderSize }, handler),
    });
    const fastifyApp = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
      logger,
    });
    app = fastifyApp;
    options.configure?.(app);
    await fastifyApp.listen(0, '127.0.0.1');
    server = fastifyApp.getHttpServer() as Server;
  } else {
    const instance = express();
    const expressApp = await NestFactory.create<NestExpressApplication>(
      module as never,
      new ExpressAdapter(instance),
      { logger },
    );
    if (options.trustProxy) expressApp.set('trust proxy', options.trustProxy);
    app = expressApp;
    options.configure?.(app);
    await app.init();
    server = createServer({ maxHeaderSize: options.maxHeaderSize }, instance);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }
  const { port } = server.address() as AddressInfo;
  return {
    app,
    platform,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      if (platform === 'fastify') {
        await app.close();
        return;
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
