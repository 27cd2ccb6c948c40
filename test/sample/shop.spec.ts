/**
 * The sample shop over HTTP with a real cookie jar: what its page says about the shrink
 * policies is what they do, and bad cookies never break the page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CATALOG } from '../../sample/catalog.js';
import { startSample, type RunningSample } from '../../sample/bootstrap.js';
import type { ShopSession } from '../../sample/shop-session.js';
import { TestBrowser } from '../support/browser.js';

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
/** Rounds of "view 10" + "add 10" before giving up (the cart holds all 120 products at 12). */
const MAX_ROUNDS = 14;

/** The text of the element `data-test="name"` in the page (its first one). */
function field(html: string, name: string): string | undefined {
  const match = new RegExp(`data-test="${name}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return match?.[1]!.replace(/<[^>]*>/g, '').trim();
}

function session(html: string): ShopSession {
  const json = field(html, 'session-json')!
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return JSON.parse(json) as ShopSession;
}

describe('the sample shop', () => {
  let sample: RunningSample;
  let sessionDir: string;

  beforeAll(async () => {
    sessionDir = mkdtempSync(join(tmpdir(), 'chunked-session-shop-'));
    sample = await startSample({
      port: 0,
      secret: 'the-sample-shop-test-secret-0123456789',
      sessionDir,
      logger: false,
    });
  });
  afterAll(async () => {
    await sample.close();
    rmSync(sessionDir, { recursive: true, force: true });
  });

  it('gives up the oldest history first, then the whole history, then the cart snapshots — never a cart line', async () => {
    const browser = new TestBrowser(sample.url, CHROME);
    /** Every shrink event, as the page reports it after each POST. */
    const seen: { request: string; shrunk: string; removed: string }[] = [];
    let last = '';
    let page = '';
    let rounds = 0;
    const act = async (path: string) => {
      expect((await browser.post(path)).status).toBe(303);
      let response = await browser.get('/');
      expect(response.status).toBe(200);
      // A delta set keeps a dropped piece for one more request, whose response deletes it
      // (docs/FORMAT.md 5.5); then the page shows what the browser holds, and nothing is written.
      if (response.setCookies.length > 0) {
        for (const line of response.setCookies) expect(line).toMatch(/^shop\.\d+=; Max-Age=0;/);
        response = await browser.get('/');
        expect(response.status).toBe(200);
      }
      expect(response.setCookies).toEqual([]);
      page = response.text;
      const bytes = Number(field(page, 'header-bytes')!.replace(/,/g, ''));
      expect(bytes).toBeLessThanOrEqual(8000);
      expect(Buffer.byteLength(await browser.cookieHeader())).toBe(bytes);
      const when = field(page, 'shrink-when');
      const event = [when, field(page, 'shrink-before'), field(page, 'shrink-after')].join(' ');
      if (when?.endsWith(`POST ${path}`) && event !== last) {
        last = event;
        seen.push({
          request: path,
          shrunk: field(page, 'shrunk-keys')!,
          removed: field(page, 'removed-keys')!,
        });
      }
    };
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      rounds = round;
      await act('/view-many');
      await act('/cart/add-many');
      if (session(page).cart!.some((line) => line.name === undefined)) break;
    }
    // First the oldest views go; then the history as a whole and the cart's snapshots.
    expect(seen[0]!.shrunk).toBe('recentlyViewed');
    expect(seen[0]!.removed).toBe('none');
    const removal = seen.findIndex((e) => e.removed === 'recentlyViewed');
    const compaction = seen.findIndex((e) => e.shrunk.split(', ').includes('cart'));
    expect(removal).toBeGreaterThan(0);
    expect(compaction).toBeGreaterThanOrEqual(removal);
    expect(seen.slice(0, removal).every((e) => e.shrunk === 'recentlyViewed')).toBe(true);
    const final = session(page);
    // Every product added is still in the cart, once, with its quantity.
    const ids = final.cart!.map((line) => line.id);
    expect(ids).toEqual(CATALOG.slice(0, Math.min(10 * rounds, CATALOG.length)).map((p) => p.id));
    expect(final.cart!.every((line) => line.qty === 1)).toBe(true);
    expect(final.cart!.every((line) => line.name === undefined && line.price === undefined)).toBe(
      true,
    );
    expect(field(page, 'cart-count')).toBe(String(ids.length));
    expect(page).toContain(`${ids.length} compacted by the shrinker`);
  });

  it('reads a tampered or garbage cookie as an empty session and escapes what it shows', async () => {
    const browser = new TestBrowser(sample.url, CHROME);
    await browser.post('/view-many');
    const header = await browser.cookieHeader();
    expect(
      session((await browser.get('/', { cookieHeader: header })).text).recentlyViewed,
    ).toHaveLength(10);
    // One character of the shop cookie changed: that partition reads as empty, the rest stands.
    const tampered = header.replace(
      /(shop=1\.[A-Za-z0-9_-]{40})(.)/,
      (_, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'),
    );
    expect(tampered).not.toBe(header);
    const read = await browser.get('/', { cookieHeader: tampered });
    expect(read.status).toBe(200);
    expect(Object.keys(session(read.text))).toEqual(['visitor']);
    for (const cookieHeader of [
      'shop=1.%%%; shop.1=zzz; sid=2.; prefs=',
      '<img src=x onerror=alert(1)>=1; "quoted"=\'x\'',
    ]) {
      const response = await browser.get('/', { cookieHeader });
      expect(response.status).toBe(200);
      expect(session(response.text)).toEqual({});
      expect(response.text).not.toContain('<img src=x');
    }
    const odd = await browser.get('/', { cookieHeader: '<img src=x onerror=alert(1)>=1' });
    expect(field(odd.text, 'cookie-name')).toBe('&lt;img src'); // the name ends at the first =
    expect(odd.text).toContain('<span class="tag other">not the session\'s</span>');
  });

  it('answers unknown products and empty sign-ins with an HTML error, not a 500', async () => {
    const browser = new TestBrowser(sample.url, CHROME);
    const missing = await browser.post('/cart/p999');
    expect(missing.status).toBe(404);
    expect(field(missing.text, 'error')).toBe('No product p999.');
    const empty = await browser.post('/login', { name: '   ' });
    expect(empty.status).toBe(400);
    expect(field(empty.text, 'error')).toBe('Type a name to sign in.');
    expect(await browser.cookies()).toEqual(new Map());
  });
});
