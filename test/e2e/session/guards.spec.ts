import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { GuardsAppModule } from '../fixtures/guards.module.js';

describe('the session and guards', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(GuardsAppModule);
  });
  afterAll(() => running.close());

  it('is loaded before guards run: a guard allows or refuses from the session', async () => {
    const browser = new TestBrowser(running.url);
    const refused = await browser.get('/admin');
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({
      statusCode: 403,
      message: 'Forbidden resource',
      error: 'Forbidden',
    });
    expect(refused.setCookies).toEqual([]);

    await browser.post('/session', { role: 'admin' });
    const allowed = await browser.get('/admin');
    expect(allowed.status).toBe(200);
    expect(allowed.json).toEqual({ admin: true });

    await browser.post('/session', { role: 'guest' });
    expect((await browser.get('/admin')).status).toBe(403);
  });

  it('writes a change made by one guard when the next guard refuses (403)', async () => {
    const browser = new TestBrowser(running.url);
    const first = await browser.get('/refused');
    expect(first.status).toBe(403);
    expect(first.json).toEqual({
      statusCode: 403,
      message: 'refused by RefusingGuard',
      error: 'Forbidden',
    });
    expect(first.setCookies).toHaveLength(1);
    expect(first.setCookies[0]).toMatch(
      /^session=1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect((await browser.get('/refused')).status).toBe(403);
    expect((await browser.get('/session')).json).toEqual({
      data: { guardVisits: 2 },
      isNew: false,
    });
  });

  it('writes a change made by the guard that refuses by returning false', async () => {
    const browser = new TestBrowser(running.url);
    const res = await browser.get('/refused-by-false');
    expect(res.status).toBe(403);
    expect(res.setCookies).toHaveLength(1);
    expect((await browser.get('/session')).json).toEqual({ data: { refusals: 1 }, isNew: false });
  });

  it('writes a change made by an application middleware when a guard refuses', async () => {
    const browser = new TestBrowser(running.url);
    const res = await browser.get('/marked');
    expect(res.status).toBe(403);
    expect(res.setCookies).toHaveLength(1);
    expect((await browser.get('/session')).json).toEqual({ data: { marked: true }, isNew: false });
  });
});
