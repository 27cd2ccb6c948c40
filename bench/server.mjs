// One benchmark server: a Nest application with one route that reads the session, changes it and
// answers, behind one session layer. Started by bench/run.mjs as its own process:
//   node bench/server.mjs <variant>
// It reports { port } over IPC, answers { type: 'stop' } by cleaning up and exiting.
import 'reflect-metadata';
import { createServer } from 'node:http';
import { Controller, Get, Module, Param, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import express from 'express';
import { createLayer } from './variants.mjs';
import { PAYLOADS, carriesPayload, payloadIntact } from './payloads.mjs';

const variant = process.argv[2];
const prefix = `bench:${process.pid}:${variant}:`;
const layer = await createLayer(variant, prefix);
/** Counted when a /hit response has gone out: `seen` requests carried the whole payload. */
const stats = { hits: 0, seen: 0, setCookie: 0 };
const SEEN = Symbol('seen');

/** Plain JavaScript has no decorators: apply Nest's the way TypeScript's emit does. */
function decorateMethod(cls, method, ...decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method);
  for (const d of decorators) d(cls.prototype, method, descriptor);
}

class BenchController {
  /** The benchmarked route: read the session, change it, answer. */
  async hit(req) {
    const s = req.session;
    if (s === undefined) {
      // The ceiling: the same work on a plain object.
      const plain = { count: 0 };
      plain.count += 1;
      return { count: plain.count };
    }
    if (carriesPayload(s)) req[SEEN] = true;
    s.count = (s.count ?? 0) + 1;
    const saving = layer.save?.(req);
    if (saving) await saving;
    return { count: s.count };
  }

  /** Diagnostics: a route that never touches the session (what the session layer costs idle). */
  plain() {
    return { count: 1 };
  }

  /** Starts a session holding the payload of `kind`. */
  async seed(req, kind) {
    if (!PAYLOADS[kind]) return { ok: false };
    if (req.session !== undefined) {
      Object.assign(req.session, structuredClone(PAYLOADS[kind]));
      const saving = layer.save?.(req);
      if (saving) await saving;
    }
    return { ok: true };
  }

  /** Whether the request's session carries the whole payload (the round-trip check). */
  check(req, kind) {
    if (req.session === undefined) return { intact: true, count: null };
    return { intact: payloadIntact(req.session, kind), count: req.session.count ?? null };
  }
}
Controller()(BenchController);
decorateMethod(BenchController, 'hit', Get('hit'));
Req()(BenchController.prototype, 'hit', 0);
decorateMethod(BenchController, 'plain', Get('plain'));
decorateMethod(BenchController, 'seed', Get('seed/:kind'));
Req()(BenchController.prototype, 'seed', 0);
Param('kind')(BenchController.prototype, 'seed', 1);
decorateMethod(BenchController, 'check', Get('check/:kind'));
Req()(BenchController.prototype, 'check', 0);
Param('kind')(BenchController.prototype, 'check', 1);

class AppModule {}
Module({ imports: layer.imports, controllers: [BenchController] })(AppModule);

const instance = express();
// Counts the benchmarked responses, those that set a cookie and those whose request carried the
// payload (registered before any session layer).
instance.use((req, res, next) => {
  if (req.url === '/hit' || req.url === '/plain') {
    res.on('finish', () => {
      stats.hits++;
      if (req[SEEN]) stats.seen++;
      if (res.getHeader('set-cookie') !== undefined) stats.setCookie++;
    });
  }
  next();
});
// Server CPU, read before and after each measured cell. Answered before any session layer.
instance.get('/__stats', (req, res) => {
  const cpu = process.cpuUsage();
  res.json({ ...stats, cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage().rss });
});
for (const middleware of layer.use) instance.use(middleware);

const app = await NestFactory.create(AppModule, new ExpressAdapter(instance), { logger: false });
await app.init();
const server = createServer({ maxHeaderSize: 64 * 1024 }, instance);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
process.send({ type: 'ready', port: server.address().port });

process.on('message', async (message) => {
  if (message?.type !== 'stop') return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await app.close();
  await layer.close?.();
  process.send({ type: 'stopped' }, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
