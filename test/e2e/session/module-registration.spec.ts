import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSealer } from '../../../src/codec/sealer.js';
import { decodeEnvelope } from '../../../src/codec/envelope.js';
import { TestBrowser } from '../../support/browser.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { parseSetCookie } from '../fixtures/craft-cookie.js';
import {
  ForRootAppModule,
  UseClassAppModule,
  UseExistingAppModule,
  UseFactoryAppModule,
} from '../fixtures/registration.module.js';
import { SECRET } from '../fixtures/secrets.js';

describe.each([
  ['forRoot', ForRootAppModule],
  ['forRootAsync useFactory + inject + imports', UseFactoryAppModule],
  ['forRootAsync useClass', UseClassAppModule],
  ['forRootAsync useExisting', UseExistingAppModule],
])('ChunkedSessionModule.%s', (_, module) => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(module);
  });
  afterAll(() => running.close());

  it('uses the options it was given: cookie name and secret', async () => {
    const browser = new TestBrowser(running.url);
    const res = await browser.post('/session', { user: 'ada' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: { user: 'ada' }, isNew: true });
    expect(res.setCookies).toHaveLength(1);
    const { name, value, attributes } = parseSetCookie(res.setCookies[0]!);
    expect(name).toBe('configured');
    expect(attributes).toBe('; Path=/; HttpOnly; SameSite=Lax');
    // Sealed with the configured secret for the configured name.
    const opened = createSealer([SECRET], 'encrypt').open(name, value.slice(2));
    expect(value.startsWith('1.')).toBe(true);
    expect(opened?.keyIndex).toBe(0);
    expect(decodeEnvelope(opened!.plaintext)?.data).toEqual({ user: 'ada' });
  });

  it('is global: a controller of another module sees the session and the exported interceptor', async () => {
    const browser = new TestBrowser(running.url);
    expect((await browser.get('/feature')).json).toEqual({ user: null, global: true });
    await browser.post('/session', { user: 'grace' });
    const feature = await browser.get('/feature');
    expect(feature.json).toEqual({ user: 'grace', global: true });
    expect(feature.setCookies).toEqual([]);
    expect((await browser.get('/session')).json).toEqual({ data: { user: 'grace' }, isNew: false });
  });
});
