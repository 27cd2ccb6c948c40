import { beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  BROWSER_LIMITS_CACHE_MAX,
  CACHEABLE_USER_AGENT_MAX_LENGTH,
  browserLimits,
  browserLimitsCacheSize,
  clearBrowserLimitsCache,
  resolveLimits,
} from '../../../src/limits/browser-limits.js';
import {
  BROWSER_FAMILIES,
  BROWSER_TABLE,
  type BrowserFamily,
} from '../../../src/limits/browser-table.js';
import type { CookieLimits } from '../../../src/limits/cookie-limits.js';
import { USER_AGENTS } from './user-agents.fixture.js';

function limits(
  maxCookieBytes: number,
  countsAttributes: boolean,
  maxCookies: number,
  maxTotalBytes: number,
  maxResponseHeaderBytes = 4096,
): CookieLimits {
  return { maxCookieBytes, countsAttributes, maxCookies, maxTotalBytes, maxResponseHeaderBytes };
}

/** Written out, not read from the table: API.md section 5, then the old-browser rows. */
const EXPECTED: Record<BrowserFamily, CookieLimits> = {
  chromium: limits(4096, false, 180, 8000),
  firefox: limits(4096, false, 180, 8000),
  webkit: limits(4096, false, 50, 8000),
  ie: limits(5118, true, 50, 8000),
  unknown: limits(4093, true, 50, 8000),
  'chromium-legacy': limits(4096, true, 180, 8000),
  'ie-old': limits(4093, true, 20, 8000),
  'opera-presto': limits(4093, true, 30, 8000),
  'android-stock': limits(4093, true, 41, 8000),
};

const cuts = fc.constantFrom(
  'Mozilla/5.0 ',
  '(iPhone; ',
  '(Linux; Android 10; K) ',
  'AppleWebKit/537.36 ',
  'Chrome/',
  'HeadlessChrome/',
  'Edge/',
  'Edg/',
  'Trident/',
  'MSIE ',
  'Firefox/',
  'Gecko/',
  'Version/',
  'Safari/',
  'Presto/',
  'Googlebot/',
  '+http://',
  '99',
  '131.0',
  '7.0',
  '; ',
  ')',
);
/** Arbitrary text, and User-Agent-like strings made of real tokens in any order. */
const anyUserAgent = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 700 }),
  fc.array(cuts, { maxLength: 30 }).map((parts) => parts.join('')),
);

describe('browserLimits', () => {
  beforeEach(() => clearBrowserLimitsCache());

  it.each(USER_AGENTS)('%s', (_name, ua, family) => {
    expect(browserLimits(ua)).toEqual(EXPECTED[family]);
  });

  it('gives the unknown row for a missing User-Agent', () => {
    expect(browserLimits(undefined)).toEqual(limits(4093, true, 50, 8000));
  });

  it('returns a frozen row, the same on a cached call', () => {
    const ua = USER_AGENTS[0][1];
    const first = browserLimits(ua);
    expect(Object.isFrozen(first)).toBe(true);
    expect(browserLimits(ua)).toBe(first);
    expect(browserLimitsCacheSize()).toBe(1);
  });

  it('does not remember a missing, empty or over-long User-Agent', () => {
    const long = `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0 ${'x'.repeat(CACHEABLE_USER_AGENT_MAX_LENGTH)}`;
    expect(browserLimits(long)).toEqual(EXPECTED.firefox);
    browserLimits('');
    browserLimits(undefined);
    expect(browserLimitsCacheSize()).toBe(0);
  });

  it(`remembers at most ${BROWSER_LIMITS_CACHE_MAX} User-Agents after 10 000 unique ones`, () => {
    const uas = fc.sample(fc.string({ maxLength: 200 }), { numRuns: 10_000, seed: 42 });
    uas.forEach((ua, i) => {
      browserLimits(`${i} ${ua}`);
      expect(browserLimitsCacheSize()).toBeLessThanOrEqual(BROWSER_LIMITS_CACHE_MAX);
    });
    expect(browserLimitsCacheSize()).toBe(BROWSER_LIMITS_CACHE_MAX);
  });

  it('for any string: never throws, gives a table row within sane ranges, cache bounded', () => {
    const rows = Object.values(BROWSER_TABLE).map((entry) => entry.limits);
    fc.assert(
      fc.property(anyUserAgent, (ua) => {
        const result = browserLimits(ua);
        expect(rows).toContain(result);
        expect(result.maxCookieBytes).toBeGreaterThanOrEqual(4093);
        expect(result.maxCookieBytes).toBeLessThanOrEqual(5118);
        expect(result.maxCookies).toBeGreaterThanOrEqual(20);
        expect(result.maxCookies).toBeLessThanOrEqual(180);
        expect(result.maxTotalBytes).toBe(8000);
        expect(typeof result.countsAttributes).toBe('boolean');
        expect(browserLimitsCacheSize()).toBeLessThanOrEqual(BROWSER_LIMITS_CACHE_MAX);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('BROWSER_TABLE', () => {
  it('has one row per family, each as expected', () => {
    expect(Object.keys(BROWSER_TABLE).sort()).toEqual([...BROWSER_FAMILIES].sort());
    for (const family of BROWSER_FAMILIES) {
      expect(BROWSER_TABLE[family].limits).toEqual(EXPECTED[family]);
    }
  });

  it.each(BROWSER_FAMILIES)('%s cites its source and names its browsers', (family) => {
    expect(BROWSER_TABLE[family].source.trim()).not.toBe('');
    // A primary source, tagged with its kind, never a document outside the package.
    expect(BROWSER_TABLE[family].source).toMatch(/\[(src|doc|spec|meas|old-meas)\]/);
    expect(BROWSER_TABLE[family].source).not.toMatch(/COOKIE-LIMITS|API\.md/);
    expect(BROWSER_TABLE[family].browsers.trim()).not.toBe('');
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(BROWSER_TABLE)).toBe(true);
    for (const family of BROWSER_FAMILIES) {
      expect(Object.isFrozen(BROWSER_TABLE[family])).toBe(true);
      expect(Object.isFrozen(BROWSER_TABLE[family].limits)).toBe(true);
    }
  });
});

describe('resolveLimits', () => {
  const base = limits(4093, true, 50, 8000);

  it('returns a copy of base without an override', () => {
    const result = resolveLimits(base, undefined);
    expect(result).toEqual(base);
    expect(result).not.toBe(base);
  });

  it('merges field by field and ignores undefined fields', () => {
    expect(
      resolveLimits(base, { maxTotalBytes: 16000, maxCookies: undefined, countsAttributes: false }),
    ).toEqual(limits(4093, false, 50, 16000, 16000 + 4096));
  });

  it('gives maxResponseHeaderBytes 4096 up to a maxTotalBytes of 8000, then maxTotalBytes + 4096', () => {
    expect(resolveLimits(base, { maxTotalBytes: 8000 }).maxResponseHeaderBytes).toBe(4096);
    expect(resolveLimits(base, { maxTotalBytes: 2000 }).maxResponseHeaderBytes).toBe(4096);
    expect(resolveLimits(base, { maxTotalBytes: 8001 }).maxResponseHeaderBytes).toBe(12097);
    expect(resolveLimits(base, { maxTotalBytes: 60000 }).maxResponseHeaderBytes).toBe(64096);
  });

  it('takes maxResponseHeaderBytes as given, whatever maxTotalBytes is', () => {
    expect(
      resolveLimits(base, { maxTotalBytes: 60000, maxResponseHeaderBytes: 16384 })
        .maxResponseHeaderBytes,
    ).toBe(16384);
    expect(resolveLimits(base, { maxResponseHeaderBytes: 8192 }).maxResponseHeaderBytes).toBe(8192);
  });

  it('takes every field when all are given, leaving base untouched', () => {
    const frozen = BROWSER_TABLE.unknown.limits;
    expect(resolveLimits(frozen, limits(4096, false, 180, 32000, 20000))).toEqual(
      limits(4096, false, 180, 32000, 20000),
    );
    expect(frozen).toEqual(base);
  });

  it('keeps falsy but defined values', () => {
    expect(resolveLimits(limits(4096, true, 180, 8000), { countsAttributes: false })).toEqual(
      limits(4096, false, 180, 8000),
    );
  });
});
