// One Fastify benchmark server: the bench's Nest application (bench/server.mjs) on
// FastifyAdapter, with one route that reads the session, changes it and answers, behind one
// session layer. Started by bench/fastify-block.mjs as its own process:
//   node bench/fastify-server.mjs <variant>
// It reports { port } over IPC, answers { type: 'stop' } by cleaning up and exiting.
import 'reflect-metadata';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { Controller, Get, Module, Param, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import secureSession from '@fastify/secure-session';
import { floorSession } from './floor-session.mjs';
import { SECRET } from './variants.mjs';
import { PAYLOADS, carriesPayload, payloadIntact } from './payloads.mjs';
import { ChunkedSessionModule } from '../dist/esm/index.js';

const variant = process.argv[2];
/** As for the Express variants (bench/variants.mjs): a Cookie header of up to 32 000 bytes. */
const LIMITS = { maxTotalBytes: 32_000 };
const stats = { hits: 0, seen: 0, setCookie: 0 };
const SEEN = Symbol('seen');

/**
 * Each layer as the route sees it: `data(request)` the session as a plain object, `save`
 * where the layer needs one (the floor re-seals; @fastify/secure-session takes `set`).
 */
function layerOf(name) {
  switch (name) {
    case 'fastify-none':
      return { imports: [], data: () => undefined };
    case 'fastify-chunked':
      return {
        imports: [ChunkedSessionModule.forRoot({ secret: SECRET, limits: LIMITS })],
        data: (request) => request.session,
      };
    case 'fastify-floor': {
      const floor = floorSession(SECRET);
      return {
        imports: [],
        onRequest: (request, reply, done) =>
          floor.middleware(request.raw, reply.raw, () => {
            request.floor = request.raw.session;
            done();
          }),
        data: (request) => request.floor,
        save: (request) => floor.save(request.raw),
      };
    }
    case 'fastify-secure-session':
      return {
        imports: [],
        // One sealed cookie (libsodium's secretbox), which it does not chunk.
        register: (app) =>
          app.register(secureSession, {
            key: createHash('sha256').update(SECRET).digest(),
            cookieName: 'session',
            cookie: { path: '/', httpOnly: true, sameSite: 'lax' },
          }),
        data: (request) => {
          request.benchData ??= request.session.get('data') ?? {};
          return request.benchData;
        },
        save: (request) => request.session.set('data', request.benchData),
      };
    default:
      throw new Error(`unknown Fastify variant ${name}`);
  }
}
const layer = layerOf(variant);

/** Plain JavaScript has no decorators: apply Nest's the way TypeScript's emit does. */
function decorateMethod(cls, method, ...decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method);
  for (const d of decorators) d(cls.prototype, method, descriptor);
}

class BenchController {
  hit(req) {
    const s = layer.data(req);
    if (s === undefined) {
      const plain = { count: 0 };
      plain.count += 1;
      return { count: plain.count };
    }
    if (carriesPayload(s)) req.raw[SEEN] = true;
    s.count = (s.count ?? 0) + 1;
    layer.save?.(req);
    return { count: s.count };
  }

  seed(req, kind) {
    if (!PAYLOADS[kind]) return { ok: false };
    const s = layer.data(req);
    if (s !== undefined) {
      Object.assign(s, structuredClone(PAYLOADS[kind]));
      layer.save?.(req);
    }
    return { ok: true };
  }

  check(req, kind) {
    const s = layer.data(req);
    if (s === undefined) return { intact: true, count: null };
    return { intact: payloadIntact(s, kind), count: s.count ?? null };
  }
}
Controller()(BenchController);
decorateMethod(BenchController, 'hit', Get('hit'));
Req()(BenchController.prototype, 'hit', 0);
decorateMethod(BenchController, 'seed', Get('seed/:kind'));
Req()(BenchController.prototype, 'seed', 0);
Param('kind')(BenchController.prototype, 'seed', 1);
decorateMethod(BenchController, 'check', Get('check/:kind'));
Req()(BenchController.prototype, 'check', 0);
Param('kind')(BenchController.prototype, 'check', 1);

class AppModule {}
Module({ imports: layer.imports, controllers: [BenchController] })(AppModule);

const adapter = new FastifyAdapter({
  serverFactory: (handler) => createServer({ maxHeaderSize: 64 * 1024 }, handler),
});
const instance = adapter.getInstance();
// Counts the benchmarked responses, those that set a cookie and those whose request carried the
// payload; server CPU for /__stats. Added before any session layer.
instance.addHook('onResponse', (request, reply, done) => {
  if (request.url === '/hit') {
    stats.hits++;
    if (request.raw[SEEN]) stats.seen++;
    if (reply.getHeader('set-cookie') !== undefined) stats.setCookie++;
  }
  done();
});
instance.get('/__stats', (request, reply) => {
  const cpu = process.cpuUsage();
  reply.send({ ...stats, cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage().rss });
});
if (layer.onRequest) instance.addHook('onRequest', layer.onRequest);

const app = await NestFactory.create(AppModule, adapter, { logger: false });
if (layer.register) await layer.register(app);
await app.listen(0, '127.0.0.1');
process.send({ type: 'ready', port: app.getHttpServer().address().port });

process.on('message', async (message) => {
  if (message?.type !== 'stop') return;
  app.getHttpServer().closeAllConnections();
  await app.close();
  process.send({ type: 'stopped' }, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
