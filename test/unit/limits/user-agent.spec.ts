import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { BROWSER_FAMILIES } from '../../../src/limits/browser-table.js';
import { browserFamily } from '../../../src/limits/user-agent.js';
import { USER_AGENTS } from './user-agents.fixture.js';

describe('browserFamily', () => {
  it.each(USER_AGENTS)('%s', (_name, ua, family) => {
    expect(browserFamily(ua)).toBe(family);
  });

  it('maps a missing User-Agent to unknown', () => {
    expect(browserFamily(undefined)).toBe('unknown');
  });

  it('covers every family of the table with at least one real User-Agent', () => {
    const seen = new Set(USER_AGENTS.map(([, , family]) => family));
    expect([...seen].sort()).toEqual([...BROWSER_FAMILIES].sort());
  });

  it('treats every iOS browser as WebKit whatever its brand token', () => {
    const brands = ['CriOS/131.0.6778.73', 'FxiOS/133.0', 'EdgiOS/131.2903.68', 'OPiOS/16.0.15'];
    for (const brand of brands) {
      const ua = `Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ${brand} Mobile/15E148 Safari/604.1`;
      expect(browserFamily(ua)).toBe('webkit');
    }
  });

  it('puts the Chromium rule change at major version 100', () => {
    const chrome = (major: number) =>
      `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`;
    expect(browserFamily(chrome(99))).toBe('chromium-legacy');
    expect(browserFamily(chrome(100))).toBe('chromium');
    expect(browserFamily(chrome(1000))).toBe('chromium');
  });

  it('returns a known family for any string and never throws', () => {
    const families = new Set<string>(BROWSER_FAMILIES);
    fc.assert(
      fc.property(fc.option(fc.string({ unit: 'binary', maxLength: 600 })), (ua) => {
        expect(families.has(browserFamily(ua ?? undefined))).toBe(true);
      }),
    );
  });
});
