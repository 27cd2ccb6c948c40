import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../../support/browser.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { onFastify } from '../../support/platform.js';
import { ResponsesAppModule } from '../fixtures/responses.module.js';
import { CHROME_UA } from '../fixtures/secrets.js';

const COOKIE_LINE = /^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/;

describe('the session is written before the headers go out, whichever way the handler ends', () => {
  let running: RunningApp;
  const logger = new CaptureLogger();
  beforeAll(async () => {
    running = await startNestApp(ResponsesAppModule, { configure: (app) => app.useLogger(logger) });
  });
  afterAll(() => running.close());

  it.each([
    ['a returned value', 'value', 200, { via: 'value' }],
    ['a Promise', 'promise', 200, { via: 'promise' }],
    ['an Observable', 'observable', 200, { via: 'observable' }],
    [
      'a delayed Observable (change made when it emits)',
      'observable-delayed',
      200,
      { via: 'observable-delayed' },
    ],
    [
      'a thrown HttpException',
      'throw',
      400,
      { statusCode: 400, message: 'bad on purpose', error: 'Bad Request' },
    ],
    [
      'an HttpException thrown after await',
      'throw-async',
      409,
      { statusCode: 409, message: 'conflict on purpose', error: 'Conflict' },
    ],
    ['@Res({ passthrough: true })', 'passthrough', 201, { via: 'passthrough' }],
    ['@Res() with res.json', 'res-json', 200, { via: 'res-json' }],
    ['@Res() answering after the interceptor committed', 'res-late', 200, { via: 'res-late' }],
  ])('%s', async (_, route, status, body) => {
    const browser = new TestBrowser(running.url);
    const res = await browser.get(`/end/${route}`);
    expect(res.status).toBe(status);
    expect(res.json).toEqual(body);
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(COOKIE_LINE);
    expect((await browser.get('/session')).json).toEqual({ data: { via: route }, isNew: false });
  });

  it.each([
    ['res.send', 'res-send', 200, 'sent by res.send'],
    ['res.end', 'res-end', 200, 'ended by res.end'],
    ['res.writeHead + res.end', 'res-writehead', 202, 'after writeHead'],
    ['res.write streaming', 'res-write', 200, 'part1-part2-end'],
  ])('@Res() with %s', async (_, route, status, text) => {
    const browser = new TestBrowser(running.url);
    const res = await browser.get(`/end/${route}`);
    expect(res.status).toBe(status);
    expect(res.text).toBe(text);
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(COOKIE_LINE);
    expect((await browser.get('/session')).json).toEqual({ data: { via: route }, isNew: false });
  });

  it('keeps the handler headers next to Set-Cookie (passthrough, writeHead)', async () => {
    const browser = new TestBrowser(running.url);
    expect((await browser.get('/end/passthrough')).headers.get('x-handler')).toBe('passthrough');
    const head = await browser.get('/end/res-writehead');
    expect(head.headers.get('x-handler')).toBe('writeHead');
    expect(head.headers.get('content-type')).toBe('text/plain');
  });

  it('sends the head of a streamed response once, with the cookie, and the body in order', async () => {
    const browser = new TestBrowser(running.url);
    const res = await browser.get('/end/res-write');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.text).toBe('part1-part2-end');
  });

  it('lets an exception filter read req.session, and writes what it adds', async () => {
    const browser = new TestBrowser(running.url);
    const res = await browser.get('/end/filtered');
    expect(res.status).toBe(418);
    expect(res.json).toEqual({ seen: 'filtered' });
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(COOKIE_LINE);
    expect((await browser.get('/session')).json).toEqual({
      data: { via: 'filtered', filtered: true },
      isNew: false,
    });
  });

  it('writes once, after a filter that shrinks the session: the large session is never sent', async () => {
    const browser = new TestBrowser(running.url, CHROME_UA);
    const res = await browser.get('/end/shrink-in-filter');
    expect(res.status).toBe(418);
    // One commit, just before the headers (Fastify: in onSend): what the filter left, in one cookie, nothing else.
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(COOKIE_LINE);
    expect([...(await browser.cookies()).keys()]).toEqual(['session']);
    expect((await browser.get('/session')).json).toEqual({ data: { small: true }, isNew: false });
  });

  it('lets an interceptor read req.session before and after the handler, and writes what it adds', async () => {
    const browser = new TestBrowser(running.url);
    await browser.post('/session', { via: 'earlier' });
    const res = await browser.get('/end/intercepted');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ handled: true, before: 'earlier', after: 'intercepted' });
    expect(res.setCookies).toHaveLength(1);
    expect((await browser.get('/session')).json).toEqual({
      data: { via: 'intercepted', intercepted: true },
      isNew: false,
    });
  });

  it('sends no Set-Cookie from any ending when the session did not change', async () => {
    const browser = new TestBrowser(running.url);
    await browser.get('/end/res-json');
    for (const route of ['res-json', 'res-write', 'res-writehead', 'throw', 'observable-delayed']) {
      const res = await browser.get(`/end/${route}`);
      // Same value as before the request (via was already `route` or is set to it): unchanged
      // only for the route whose value is already stored.
      if (route === 'res-json') expect(res.setCookies).toEqual([]);
      else expect(res.setCookies).toHaveLength(1);
      const again = await browser.get(`/end/${route}`);
      expect(again.setCookies).toEqual([]);
    }
  });

  // On Fastify, Fastify itself writes the head after its onSend hooks; a handler that writes
  // the Node response by hand bypasses them (Express has no such path: these routes are Fastify's,
  // and on Express the test is not declared, so that a full run skips nothing).
  const onFastifyOnly = onFastify ? it : (..._args: Parameters<typeof it>): void => undefined;
  onFastifyOnly(
    'Fastify: reply.raw and reply.hijack() answer, save nothing, and say so once',
    async () => {
      const browser = new TestBrowser(running.url);
      const raw = await browser.get('/end/fastify-raw');
      expect(raw.status).toBe(200);
      expect(raw.text).toBe('written through reply.raw');
      expect(raw.setCookies).toEqual([]);
      const hijacked = await browser.get('/end/fastify-hijack');
      expect(hijacked.text).toBe('hijacked');
      expect(hijacked.setCookies).toEqual([]);
      expect((await browser.get('/session')).json).toEqual({ data: {}, isNew: true });
      const said = logger.warnings.filter((w) => w.includes('reply.raw'));
      expect(said).toEqual([
        "the response to GET /end/fastify-raw was written through reply.raw or after reply.hijack(), which Fastify's onSend hooks never see: session changes made for such responses are not saved. Answer with reply.send() (this is said once).",
      ]);
    },
  );
});
