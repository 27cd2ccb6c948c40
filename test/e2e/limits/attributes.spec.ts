/**
 * Where a browser counts the attributes (`countsAttributes`: IE, old Chromium, unknown browsers),
 * every byte of them is charged to each cookie: with `maxAge` (Max-Age and Expires) and a longer
 * path, the full cookies are exactly the limit long, attributes and all (API.md section 5).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { browserLimits } from '../../../src/index.js';
import { startNestApp, type RunningApp } from '../../support/nest-app.js';
import { setGetAppModule, setGetController } from '../fixtures/set-get.controller.js';
import { byteLength, JarClient, lineName, lineValue } from './jar-client.js';

const SECRET = 'a-limits-test-secret-that-is-long-enough-0123';
const IE11 = 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko';
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ATTRIBUTES =
  /^; Max-Age=3600; Path=\/app; Expires=\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT; HttpOnly; SameSite=Strict$/;

const AttributesModule = setGetAppModule(
  {
    secret: SECRET,
    cookieName: 'sid',
    cookie: { maxAge: 3600, path: '/app', sameSite: 'strict' },
    // One response carries the whole set here; the response budget has its own tests.
    limits: { maxResponseHeaderBytes: 32768 },
  },
  { controller: setGetController('app') },
);

describe('attributes count where the browser counts them', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startNestApp(AttributesModule);
  });
  afterAll(() => running.close());

  it.each([
    ['an unknown browser (4093, attributes count)', undefined],
    ['IE 11 (5118, attributes count)', IE11],
    ['Chrome (4096, name and value only)', CHROME],
  ])('fills each cookie to the limit for %s', async (_, userAgent) => {
    const limits = browserLimits(userAgent);
    const client = new JarClient(running.url, { userAgent });
    const data = { blob: randomBytes(3300).toString('base64url') }; // ~5.9 KB sealed: 2 cookies
    const res = await client.post('/app/set', data);
    expect(res.status).toBe(201);
    expect(res.setCookies.length).toBeGreaterThanOrEqual(2);
    res.setCookies.forEach((line, i) => {
      expect(lineName(line)).toBe(i === 0 ? 'sid' : `sid.${i}`);
      const attributes = line.slice(lineName(line).length + 1 + lineValue(line).length);
      expect(attributes).toMatch(ATTRIBUTES);
      const size = limits.countsAttributes
        ? byteLength(line)
        : byteLength(lineName(line)) + byteLength(lineValue(line));
      if (i < res.setCookies.length - 1) expect(size).toBe(limits.maxCookieBytes);
      else expect(size).toBeLessThanOrEqual(limits.maxCookieBytes);
    });
    expect(
      byteLength(await client.jar.getCookieString(`${running.url}/app/get`)),
    ).toBeLessThanOrEqual(limits.maxTotalBytes);
    expect((await client.get('/app/get')).json).toEqual(data);
  });
});
