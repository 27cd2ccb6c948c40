/**
 * connect-flash keeps its messages in `req.session.flash`, so it works on `chunkedSession()` as
 * it does on express-session: the same plain Express application, run once over each, gives the
 * same answers through a real cookie jar — a message set on one request (before a redirect) is
 * read once on the next and is gone on the one after. With chunkedSession the messages travel
 * in the sealed cookie, and a flash set on a request whose session was empty starts one. The
 * same holds in a Nest application (`app.use(flash())`, `req.flash()` in a handler).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Post, Redirect, Req } from '@nestjs/common';
import flash from 'connect-flash';
import express, { type RequestHandler } from 'express';
import expressSession from 'express-session';
import { chunkedSession, ChunkedSessionModule } from '../../../src/index.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { SECRET } from '../fixtures/secrets.js';

interface Running {
  url: string;
  close(): Promise<void>;
}

/** The application of connect-flash's README: flash, redirect, show the messages once. */
async function startFlashApp(session: RequestHandler): Promise<Running> {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(session);
  app.use(flash());
  app.post('/save', (req, res) => {
    req.flash('info', 'Saved.');
    req.flash('info', 'Your cart has %d items.', 3);
    res.redirect(303, '/');
  });
  app.post('/fail', (req, res) => {
    req.flash('error', 'That did not work.');
    res.redirect(303, '/');
  });
  app.get('/', (req, res) => {
    res.json({ info: req.flash('info'), error: req.flash('error') });
  });
  app.get('/peek', (req, res) => {
    res.json({ session: req.session });
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const SESSIONS: [string, () => RequestHandler][] = [
  ['chunkedSession', () => chunkedSession({ secret: SECRET })],
  [
    'express-session',
    () => expressSession({ secret: SECRET, resave: false, saveUninitialized: false }),
  ],
];

describe.each(SESSIONS)('connect-flash on %s', (name, makeSession) => {
  let app: Running;
  beforeAll(async () => {
    app = await startFlashApp(makeSession());
  });
  afterAll(() => app.close());

  it('shows a message set before a redirect once, on the next request', async () => {
    const browser = new TestBrowser(app.url);
    expect((await browser.get('/')).json).toEqual({ info: [], error: [] });
    // Reading leaves `flash: {}` in the session, so the first visit starts one in both.
    expect([...(await browser.cookies()).keys()]).toEqual([
      name === 'chunkedSession' ? 'session' : 'connect.sid',
    ]);

    const saved = await browser.post('/save');
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/');
    // chunkedSession rewrites its cookie (the messages are in it); express-session keeps its id.
    expect(saved.setCookies).toHaveLength(name === 'chunkedSession' ? 1 : 0);
    expect((await browser.get('/')).json).toEqual({
      info: ['Saved.', 'Your cart has 3 items.'],
      error: [],
    });
    // Read once: gone on the next request.
    expect((await browser.get('/')).json).toEqual({ info: [], error: [] });
  });

  it('keeps each kind apart and takes only the kind asked for', async () => {
    const browser = new TestBrowser(app.url);
    await browser.post('/fail');
    await browser.post('/save');
    const peek = (await browser.get('/peek')).json as { session: { flash: unknown } };
    expect(peek.session.flash).toEqual({
      error: ['That did not work.'],
      info: ['Saved.', 'Your cart has 3 items.'],
    });
    expect((await browser.get('/')).json).toEqual({
      info: ['Saved.', 'Your cart has 3 items.'],
      error: ['That did not work.'],
    });
    expect(
      ((await browser.get('/peek')).json as { session: { flash: unknown } }).session.flash,
    ).toEqual({});
  });

  if (name === 'chunkedSession') {
    it('carries the messages in the sealed cookie itself: a second browser sees none', async () => {
      const browser = new TestBrowser(app.url);
      const saved = await browser.post('/save');
      expect(saved.setCookies[0]).toMatch(
        /^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      expect(saved.setCookies[0]).not.toContain('Saved');
      expect((await new TestBrowser(app.url).get('/')).json).toEqual({ info: [], error: [] });
      // The same cookie, sent again (replayed), shows the message again: it lives in the cookie.
      const cookie = await browser.cookieHeader();
      expect((await browser.get('/')).json).toMatchObject({
        info: ['Saved.', 'Your cart has 3 items.'],
      });
      const replay = await new TestBrowser(app.url).get('/', { cookieHeader: cookie });
      expect(replay.json).toMatchObject({ info: ['Saved.', 'Your cart has 3 items.'] });
    });
  }
});

// ---- the same in Nest ---------------------------------------------------------------------

type Flash = (type: string, message?: string) => string[] | number;
/** Express's request, or on Fastify the `FastifyRequest`, whose Node request (`raw`) the middleware saw. */
type FlashRequest = { flash?: Flash; raw?: { flash: Flash } };
const flashOf = (req: FlashRequest): Flash => {
  const raw = req.raw;
  return raw ? raw.flash.bind(raw) : req.flash!.bind(req);
};

@Controller()
class FlashController {
  @Post('save')
  @Redirect('/', 303)
  save(@Req() req: FlashRequest): void {
    flashOf(req)('info', 'Saved in Nest.');
  }

  @Get()
  show(@Req() req: FlashRequest) {
    return { info: flashOf(req)('info') };
  }
}

@Module({
  imports: [ChunkedSessionModule.forRoot({ secret: SECRET })],
  controllers: [FlashController],
})
class FlashModule {}

describe('connect-flash in a Nest application', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(FlashModule, { configure: (app) => app.use(flash()) });
  });
  afterAll(() => running.close());

  it('shows the message once, on the request after the redirect', async () => {
    const browser = new TestBrowser(running.url);
    const saved = await browser.post('/save');
    expect(saved.status).toBe(303);
    expect((await browser.get('/')).json).toEqual({ info: ['Saved in Nest.'] });
    expect((await browser.get('/')).json).toEqual({ info: [] });
  });
});
