/**
 * The gateway fixture: one WebSocket gateway on the application's own port, beside an HTTP
 * controller that signs in, and clients for socket.io and for `ws` that carry a cookie jar's
 * `Cookie` header on the handshake. Every handler answers with an object (platform-ws sends
 * nothing for `null`), through socket.io's acknowledgement or ws's reply message.
 */
import {
  Body,
  Controller,
  Get,
  Injectable,
  Module,
  Post,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';

import {
  ChunkedSessionModule,
  Session,
  SessionHandle,
  type ChunkedSessionOptions,
  type SessionData,
} from '../../../src/index.js';
import type { CaptureLogger } from '../../support/capture-logger.js';

@Controller()
export class SignInController {
  @Post('login')
  login(@Body() body: Record<string, unknown>, @Session() session: SessionData) {
    Object.assign(session, body);
    return { ok: true };
  }

  /** Signs in with "keep me signed in". */
  @Post('login-remembered')
  loginRemembered(
    @Body() body: Record<string, unknown>,
    @Session() session: SessionData,
    @SessionHandle() handle: SessionHandle,
  ) {
    Object.assign(session, body);
    handle.remember();
    return { ok: true };
  }

  @Get('whoami')
  whoami(@Session() session: SessionData) {
    return { ...session };
  }
}

/** A gateway guard: the handshake request is `client.request` on both platforms. */
@Injectable()
export class WsSignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const client = context.switchToWs().getClient<{ request?: { session?: SessionData } }>();
    return typeof client.request?.session?.user === 'string';
  }
}

@WebSocketGateway()
export class SessionGateway {
  @SubscribeMessage('whoami')
  whoami(@Session() session: SessionData | undefined) {
    return { session: session === undefined ? 'none' : { ...session } };
  }

  @SubscribeMessage('user')
  user(@Session('user') user: unknown, @SessionHandle() handle: SessionHandle) {
    return { user: user ?? null, isNew: handle.isNew };
  }

  @SubscribeMessage('set')
  async set(@MessageBody() body: Record<string, unknown>, @Session() session: SessionData) {
    await Promise.resolve();
    Object.assign(session, body);
    return { set: Object.keys(body) };
  }

  @SubscribeMessage('logout')
  logout(@SessionHandle() handle: SessionHandle) {
    handle.destroy();
    return { destroyed: true };
  }

  @SubscribeMessage('guarded')
  @UseGuards(WsSignedInGuard)
  guarded() {
    return { guarded: 'ok' };
  }
}

export type Platform = 'socket.io' | 'ws';

export interface RunningGateway {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Starts a real Nest application listening on a loopback port, with its gateway there too. */
export async function startGatewayApp(
  platform: Platform,
  options: ChunkedSessionOptions,
  logger?: CaptureLogger,
): Promise<RunningGateway> {
  @Module({
    imports: [ChunkedSessionModule.forRoot(options)],
    controllers: [SignInController],
    providers: [SessionGateway, WsSignedInGuard],
  })
  class GatewayAppModule {}
  const app = await NestFactory.create(GatewayAppModule, { logger: false });
  if (logger) app.useLogger(logger);
  if (platform === 'ws') app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return { app, url: url.replace('[::1]', '127.0.0.1'), close: () => app.close() };
}

/** One connection: `call` sends a message and resolves with the handler's answer. */
export interface GatewayClient {
  call(event: string, data?: unknown, timeoutMs?: number): Promise<any>;
  /** socket.io's `exception` events (a guard's refusal). */
  exceptions: unknown[];
  close(): void;
}

/** Connects with the `Cookie` header given on the handshake request. */
export function connect(platform: Platform, url: string, cookie: string): Promise<GatewayClient> {
  return platform === 'socket.io' ? connectIo(url, cookie) : connectWs(url, cookie);
}

async function connectIo(url: string, cookie: string): Promise<GatewayClient> {
  const socket: Socket = io(url, {
    extraHeaders: cookie ? { cookie } : {},
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const exceptions: unknown[] = [];
  socket.on('exception', (e: unknown) => exceptions.push(e));
  return {
    call: (event, data, timeoutMs = 3000) => socket.timeout(timeoutMs).emitWithAck(event, data),
    exceptions,
    close: () => socket.disconnect(),
  };
}

async function connectWs(url: string, cookie: string): Promise<GatewayClient> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers: cookie ? { cookie } : {} });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const replies: ((data: unknown) => void)[] = [];
  ws.on('message', (raw: Buffer) => replies.shift()?.(JSON.parse(raw.toString('utf8'))));
  return {
    call: (event, data) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply to "${event}"`)), 3000);
        replies.push((reply) => {
          clearTimeout(timer);
          resolve(reply);
        });
        ws.send(JSON.stringify({ event, data }));
      }),
    exceptions: [],
    close: () => ws.close(),
  };
}
