import { describe, expect, it } from '@jest/globals';
import { compileExclude } from '../../../src/options/exclude-paths.js';

describe('exclude: paths matched as Express 5 routes them (path-to-regexp 8)', () => {
  const isExcluded = compileExclude(
    ['/health', '/assets/{*rest}', '/users/:id/avatar', '/docs{/*page}'],
    'exclude',
  );

  it.each([
    ['/health', true],
    ['/health/', true], // a trailing slash, as Express allows by default
    ['/HEALTH', true], // case-insensitive, as Express by default
    ['/health?probe=1', true], // the query is not part of the path
    ['/health#x', true],
    ['/healthz', false],
    ['/health/deep', false],
    ['/assets/app.js', true],
    ['/assets/img/logo.svg', true],
    ['/assets', false], // `{*rest}` needs at least one segment; `{/*rest}` would not
    ['/users/42/avatar', true],
    ['/users/42', false],
    ['/docs', true],
    ['/docs/intro/setup', true],
    ['/cart', false],
    ['/', false],
    ['/%68ealth', false], // like Express: the path as sent, not decoded
  ])('%s → %s', (url, expected) => {
    expect(isExcluded({ url })).toBe(expected);
  });

  it('reads originalUrl first (Express shortens url under a mount path)', () => {
    expect(isExcluded({ url: '/', originalUrl: '/health' })).toBe(true);
    expect(isExcluded({ url: '/health', originalUrl: '/api/health' })).toBe(false);
  });

  it('excludes nothing when the option is absent or empty', () => {
    expect(compileExclude(undefined, 'exclude')({ url: '/health' })).toBe(false);
    expect(compileExclude([], 'exclude')({ url: '/health' })).toBe(false);
  });
});
