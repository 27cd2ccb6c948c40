import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';

export interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a real Nest application on a loopback port over Node's own HTTP server
 * (`maxHeaderSize` raises Node's 16 KiB request-header limit).
 */
export async function startNestApp(
  module: unknown,
  options: {
    configure?: (app: NestExpressApplication) => void;
    maxHeaderSize?: number;
    logger?: false | ('log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal')[];
  } = {},
): Promise<RunningApp> {
  const instance = express();
  const app = await NestFactory.create<NestExpressApplication>(
    module as never,
    new ExpressAdapter(instance),
    { logger: options.logger ?? false },
  );
  options.configure?.(app);
  await app.init();
  const server: Server = createServer({ maxHeaderSize: options.maxHeaderSize }, instance);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
