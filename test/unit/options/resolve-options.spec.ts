import { describe, expect, it } from '@jest/globals';
import { ChunkedSessionOptionsError } from '../../../src/errors/errors.js';
import type { ChunkedSessionOptions } from '../../../src/options/options.types.js';
import { resolveOptions } from '../../../src/options/resolve-options.js';
import type { SessionLogger } from '../../../src/options/resolved-options.js';

const S = 'unit-options-secret-0123456789abcdef';
const quiet: SessionLogger = { warn: () => undefined, error: () => undefined };
const store = {
  get: async () => undefined,
  set: async () => undefined,
  destroy: async () => undefined,
};
const P = 'nestjs-chunked-session: option';
const SECRET_FIX =
  'Use a random string of at least 32 characters (e.g. from `openssl rand -base64 48`).';

function errorOf(options: unknown): ChunkedSessionOptionsError {
  try {
    resolveOptions(options as ChunkedSessionOptions, quiet);
  } catch (error) {
    expect(error).toBeInstanceOf(ChunkedSessionOptionsError);
    return error as ChunkedSessionOptionsError;
  }
  throw new Error(`resolveOptions accepted ${JSON.stringify(options)}`);
}

describe('resolveOptions: defaults', () => {
  it('fills every default from API.md', () => {
    const r = resolveOptions({ secret: S }, quiet);
    expect(r.saveUninitialized).toBe(false);
    expect(r.compress).toBe(false);
    expect(r.storeTimeout).toBe(2000);
    expect(r.shrinkers).toEqual([]);
    expect(r.onShrink).toBeUndefined();
    expect(r.limits({} as never)).toBeUndefined();
    expect(r.partitions).toHaveLength(1);
    const [p] = r.partitions;
    expect(p).toMatchObject({
      cookieName: 'session',
      claims: undefined,
      isCatchAll: true,
      store: undefined,
      overflow: undefined,
      idleTimeout: 86400,
      absoluteTimeout: 2592000,
      touchAfter: 8640,
      cookie: {
        path: '/',
        domain: undefined,
        httpOnly: true,
        secure: 'auto',
        sameSite: 'lax',
        partitioned: false,
        maxAge: undefined,
      },
    });
  });

  it('seals with the given protection', () => {
    const plaintext = Buffer.from('{"readable":"yes"}');
    const signed = resolveOptions({ secret: S, protection: 'sign' }, quiet).sealer.seal(
      's',
      plaintext,
    );
    expect(Buffer.from(signed, 'base64url').includes(plaintext)).toBe(true);
    const sealed = resolveOptions({ secret: S }, quiet).sealer.seal('s', plaintext);
    expect(Buffer.from(sealed, 'base64url').includes(plaintext)).toBe(false);
  });

  it.each([
    ['__Host-sid', { path: '/', secure: true, domain: undefined }],
    ['__Secure-sid', { path: '/', secure: true, domain: undefined }],
  ])('gives %s the attributes its prefix requires', (cookieName, expected) => {
    const r = resolveOptions({ secret: S, cookieName }, quiet);
    expect(r.partitions[0]!.cookieName).toBe(cookieName);
    expect(r.partitions[0]!.cookie).toMatchObject(expected);
  });

  it('keeps an explicit secure: true and a domain on __Secure-', () => {
    const r = resolveOptions(
      { secret: S, cookieName: '__Secure-sid', cookie: { secure: true, domain: 'example.com' } },
      quiet,
    );
    expect(r.partitions[0]!.cookie).toMatchObject({ secure: true, domain: 'example.com' });
  });

  it('derives touchAfter from idleTimeout, allows 0, and never lets it exceed idleTimeout', () => {
    expect(resolveOptions({ secret: S, idleTimeout: 600 }, quiet).partitions[0]!.touchAfter).toBe(
      60,
    );
    expect(resolveOptions({ secret: S, touchAfter: 0 }, quiet).partitions[0]!.touchAfter).toBe(0);
    expect(
      resolveOptions({ secret: S, idleTimeout: 100, touchAfter: 500 }, quiet).partitions[0]!
        .touchAfter,
    ).toBe(100);
  });

  it('merges a partition cookie over the module cookie, option by option, and its own timeouts', () => {
    const r = resolveOptions(
      {
        secret: S,
        idleTimeout: 1000,
        cookie: { sameSite: 'strict', path: '/app', maxAge: 3600.7 },
        sessions: [
          {
            cookieName: 'csrf',
            fields: ['csrfToken'],
            cookie: { httpOnly: false },
            idleTimeout: 50,
          },
          { cookieName: 'main', fields: { exclude: ['secret'] } },
        ],
      },
      quiet,
    );
    const [csrf, main] = r.partitions;
    expect(csrf).toMatchObject({
      cookieName: 'csrf',
      isCatchAll: false,
      idleTimeout: 50,
      touchAfter: 5,
      cookie: { sameSite: 'strict', path: '/app', httpOnly: false, maxAge: 3600 },
    });
    expect([...csrf!.claims!]).toEqual(['csrfToken']);
    expect(main).toMatchObject({
      cookieName: 'main',
      isCatchAll: true,
      idleTimeout: 1000,
      touchAfter: 100,
      cookie: { sameSite: 'strict', path: '/app', httpOnly: true },
    });
    expect([...main!.excludes]).toEqual(['secret']);
  });

  it('accepts a fixed limits object and a function of the request', () => {
    expect(
      resolveOptions({ secret: S, limits: { maxTotalBytes: 30000 } }, quiet).limits({} as never),
    ).toEqual({
      maxTotalBytes: 30000,
    });
    const fn = () => ({ maxCookies: 3 });
    expect(resolveOptions({ secret: S, limits: fn }, quiet).limits).toBe(fn);
  });
});

describe('resolveOptions: every bad option stops start-up, naming the option and the fix', () => {
  const cases: [string, unknown, string, string][] = [
    [
      'no options',
      null,
      'options',
      `${P} \`options\` is missing. Pass an object with at least \`secret\`.`,
    ],
    [
      'a missing secret',
      {},
      'secret',
      `${P} \`secret\` is missing. Pass a random string of at least 32 characters (e.g. from \`openssl rand -base64 48\`).`,
    ],
    [
      'an empty secret list',
      { secret: [] },
      'secret',
      `${P} \`secret\` is missing. Pass a random string of at least 32 characters (e.g. from \`openssl rand -base64 48\`).`,
    ],
    [
      'a short secret',
      { secret: 'short' },
      'secret',
      `${P} \`secret\` has 5 characters; at least 32 are required. ${SECRET_FIX}`,
    ],
    [
      'a 31-character secret',
      { secret: 'x'.repeat(31) },
      'secret',
      `${P} \`secret\` has 31 characters; at least 32 are required. ${SECRET_FIX}`,
    ],
    [
      'a short old secret',
      { secret: [S, 'abc'] },
      'secret[1]',
      `${P} \`secret[1]\` has 3 characters; at least 32 are required. ${SECRET_FIX}`,
    ],
    [
      'a secret that is not a string',
      { secret: 42 },
      'secret',
      `${P} \`secret\` is not a string. ${SECRET_FIX}`,
    ],
    [
      'a bad protection',
      { secret: S, protection: 'aes' },
      'protection',
      `${P} \`protection\` is "aes". Use 'encrypt' or 'sign'.`,
    ],
    [
      'a negative idleTimeout',
      { secret: S, idleTimeout: -1 },
      'idleTimeout',
      `${P} \`idleTimeout\` is -1. Use a number above 0.`,
    ],
    [
      'a zero idleTimeout',
      { secret: S, idleTimeout: 0 },
      'idleTimeout',
      `${P} \`idleTimeout\` is 0. Use a number above 0.`,
    ],
    [
      'a NaN idleTimeout',
      { secret: S, idleTimeout: NaN },
      'idleTimeout',
      `${P} \`idleTimeout\` is NaN. Use a number above 0.`,
    ],
    [
      'a negative absoluteTimeout',
      { secret: S, absoluteTimeout: -5 },
      'absoluteTimeout',
      `${P} \`absoluteTimeout\` is -5. Use a number above 0.`,
    ],
    [
      'a negative touchAfter',
      { secret: S, touchAfter: -1 },
      'touchAfter',
      `${P} \`touchAfter\` is -1. Use a number of 0 or more.`,
    ],
    [
      'a string storeTimeout',
      { secret: S, storeTimeout: '2s' },
      'storeTimeout',
      `${P} \`storeTimeout\` is "2s". Use a number above 0.`,
    ],
    [
      'a negative partition idleTimeout',
      { secret: S, sessions: [{ cookieName: 's', idleTimeout: -3 }] },
      'sessions[0].idleTimeout',
      `${P} \`sessions[0].idleTimeout\` is -3. Use a number above 0.`,
    ],
    [
      '__Host- with a domain',
      { secret: S, cookieName: '__Host-sid', cookie: { domain: 'example.com' } },
      'cookie.domain',
      `${P} \`cookie.domain\` is set, but the cookie name "__Host-sid" has the __Host- prefix, which forbids a Domain. Remove \`domain\`, or use the __Secure- prefix instead.`,
    ],
    [
      '__Host- with a path',
      { secret: S, cookieName: '__Host-sid', cookie: { path: '/app' } },
      'cookie.path',
      `${P} \`cookie.path\` is "/app", but the cookie name "__Host-sid" has the __Host- prefix, which requires Path=/. Remove \`path\` (it defaults to '/'), or use the __Secure- prefix instead.`,
    ],
    [
      '__Host- with secure: false',
      { secret: S, cookieName: '__Host-sid', cookie: { secure: false } },
      'cookie.secure',
      `${P} \`cookie.secure\` is false, but the cookie name "__Host-sid" has the __Host- prefix, which browsers accept only with Secure. Remove \`secure: false\` or choose a name without the __Host- prefix.`,
    ],
    [
      '__Secure- with secure: false',
      { secret: S, cookieName: '__Secure-sid', cookie: { secure: false } },
      'cookie.secure',
      `${P} \`cookie.secure\` is false, but the cookie name "__Secure-sid" has the __Secure- prefix, which browsers accept only with Secure. Remove \`secure: false\` or choose a name without the __Secure- prefix.`,
    ],
    [
      'a __Host- partition with a domain',
      { secret: S, sessions: [{ cookieName: '__Host-a', cookie: { domain: 'example.com' } }] },
      'sessions[0].cookie.domain',
      `${P} \`sessions[0].cookie.domain\` is set, but the cookie name "__Host-a" has the __Host- prefix, which forbids a Domain. Remove \`domain\`, or use the __Secure- prefix instead.`,
    ],
    [
      "sameSite 'none' without secure",
      { secret: S, cookie: { sameSite: 'none' } },
      'cookie.sameSite',
      `${P} \`cookie.sameSite\` is 'none' without \`secure: true\`; browsers reject SameSite=None cookies that are not Secure. Set \`secure: true\` (and serve over HTTPS), or use sameSite 'lax'.`,
    ],
    [
      "sameSite 'none' with secure 'auto'",
      { secret: S, cookie: { sameSite: 'none', secure: 'auto' } },
      'cookie.sameSite',
      `${P} \`cookie.sameSite\` is 'none' without \`secure: true\`; browsers reject SameSite=None cookies that are not Secure. Set \`secure: true\` (and serve over HTTPS), or use sameSite 'lax'.`,
    ],
    [
      'a capitalised sameSite',
      { secret: S, cookie: { sameSite: 'Lax' } },
      'cookie.sameSite',
      `${P} \`cookie.sameSite\` is "Lax". Use 'lax', 'strict' or 'none'.`,
    ],
    [
      'a bad secure',
      { secret: S, cookie: { secure: 'yes' } },
      'cookie.secure',
      `${P} \`cookie.secure\` is "yes". Use true, false or 'auto'.`,
    ],
    [
      'a relative path',
      { secret: S, cookie: { path: 'app' } },
      'cookie.path',
      `${P} \`cookie.path\` is "app". Use a path starting with '/', without ';' or control characters.`,
    ],
    [
      'a path with ;',
      { secret: S, cookie: { path: '/a;b' } },
      'cookie.path',
      `${P} \`cookie.path\` is "/a;b". Use a path starting with '/', without ';' or control characters.`,
    ],
    [
      'a bad domain',
      { secret: S, cookie: { domain: 'exa mple.com' } },
      'cookie.domain',
      `${P} \`cookie.domain\` is "exa mple.com". Use a host name such as "example.com", or leave it unset for a host-only cookie.`,
    ],
    [
      'a zero maxAge',
      { secret: S, cookie: { maxAge: 0 } },
      'cookie.maxAge',
      `${P} \`cookie.maxAge\` is 0. Use a number of seconds above 0, or leave it unset for a browser-session cookie.`,
    ],
    [
      'a bad cookieName',
      { secret: S, cookieName: 'bad name' },
      'cookieName',
      `${P} \`cookieName\` is "bad name". Use letters, digits and \`-_.\` only (a cookie-name token).`,
    ],
    [
      'a bad partition cookieName',
      { secret: S, sessions: [{ cookieName: 'bad;name' }] },
      'sessions[0].cookieName',
      `${P} \`sessions[0].cookieName\` is "bad;name". Use letters, digits and \`-_.\` only (a cookie-name token).`,
    ],
    [
      'no partitions',
      { secret: S, sessions: [] },
      'sessions',
      `${P} \`sessions\` is empty. Give at least one partition, e.g. \`[{ cookieName: 'session', fields: 'auto' }]\`.`,
    ],
    [
      'two catch-all partitions',
      {
        secret: S,
        sessions: [{ cookieName: 'a' }, { cookieName: 'b', fields: { exclude: ['x'] } }],
      },
      'sessions',
      `${P} \`sessions\` has 2 catch-all partitions (a, b). Give exactly one partition \`fields: 'auto'\` or \`fields: { exclude: [...] }\`.`,
    ],
    [
      'no catch-all partition',
      { secret: S, sessions: [{ cookieName: 'a', fields: ['x'] }] },
      'sessions',
      `${P} \`sessions\` has no partition for the fields no other partition claims. Give exactly one partition \`fields: 'auto'\` or \`fields: { exclude: [...] }\`.`,
    ],
    [
      'a field claimed twice',
      {
        secret: S,
        sessions: [
          { cookieName: 'a', fields: ['x'] },
          { cookieName: 'b', fields: { include: ['x'] } },
          { cookieName: 'c' },
        ],
      },
      'sessions',
      `${P} \`sessions\` claims the field "x" twice (a and b). Give each field to one partition only.`,
    ],
    [
      'colliding partition names',
      { secret: S, sessions: [{ cookieName: 'a', fields: ['x'] }, { cookieName: 'a.1' }] },
      'sessions',
      `${P} \`sessions\` has cookie names that collide ("a" and "a.1"; chunks are named <name>.1, <name>.2, …). Give every partition a distinct cookie name.`,
    ],
    [
      'an empty field list',
      { secret: S, sessions: [{ cookieName: 'a', fields: [] }, { cookieName: 'b' }] },
      'sessions[0].fields',
      `${P} \`sessions[0].fields\` lists no field names. Give field names, e.g. \`['user', 'roles']\`, or 'auto'.`,
    ],
    [
      'a store that is not one',
      { secret: S, sessions: [{ cookieName: 'a', store: {} }] },
      'sessions[0].store',
      `${P} \`sessions[0].store\` is not a SessionStore. Pass an object with get, set and destroy methods (see SessionStore).`,
    ],
    [
      'overflow on a store partition',
      { secret: S, sessions: [{ cookieName: 'a', store, overflow: store }] },
      'sessions[0].overflow',
      `${P} \`sessions[0].overflow\` is set on a partition that already has a store. Use \`overflow\` only on cookie partitions.`,
    ],
    [
      'an unknown limit',
      { secret: S, limits: { maxBytes: 1 } },
      'limits.maxBytes',
      `${P} \`limits.maxBytes\` is not a limit. Use only maxCookieBytes, countsAttributes, maxCookies, maxTotalBytes, maxResponseHeaderBytes.`,
    ],
    [
      'a zero limit',
      { secret: S, limits: { maxCookies: 0 } },
      'limits.maxCookies',
      `${P} \`limits.maxCookies\` is 0. Use a whole number above 0.`,
    ],
    [
      'a non-boolean countsAttributes',
      { secret: S, limits: { countsAttributes: 1 } },
      'limits.countsAttributes',
      `${P} \`limits.countsAttributes\` is 1. Use true or false.`,
    ],
    [
      'a non-boolean saveUninitialized',
      { secret: S, saveUninitialized: 'yes' },
      'saveUninitialized',
      `${P} \`saveUninitialized\` is "yes". Use true or false.`,
    ],
    [
      'a shrinker without shrink',
      { secret: S, shrinkers: [{ key: 'a' }] },
      'shrinkers[0]',
      `${P} \`shrinkers[0]\` needs a string \`key\` and a function \`shrink\`. Pass \`{ key: string, priority?: number, shrink(value, ctx) }\`.`,
    ],
    [
      'an onShrink that is not a function',
      { secret: S, onShrink: 'log' },
      'onShrink',
      `${P} \`onShrink\` is not a function. Pass \`(event: ShrinkEvent) => void\`.`,
    ],
  ];

  it.each(cases)('%s', (_, options, option, message) => {
    const error = errorOf(options);
    expect(error.code).toBe('ERR_SESSION_OPTIONS');
    expect(error.name).toBe('ChunkedSessionOptionsError');
    expect(error.option).toBe(option);
    expect(error.message).toBe(message);
  });
});

describe('options that contradict each other', () => {
  const secret = 'x'.repeat(32);
  it('refuses cookieName together with sessions', () => {
    expect(() =>
      resolveOptions({ secret, cookieName: 'sid', sessions: [{ cookieName: 's' }] }, quiet),
    ).toThrow(
      'nestjs-chunked-session: option `cookieName` is set together with `sessions`, where it has no effect. Remove `cookieName` and give each partition its own `cookieName`.',
    );
  });
  it('refuses partitioned without secure', () => {
    expect(() => resolveOptions({ secret, cookie: { partitioned: true } }, quiet)).toThrow(
      'nestjs-chunked-session: option `cookie.partitioned` is true without `secure: true`; browsers accept Partitioned cookies only with Secure. Set `secure: true` (and serve over HTTPS), or remove `partitioned`.',
    );
    expect(
      resolveOptions({ secret, cookie: { partitioned: true, secure: true } }, quiet).partitions[0]!
        .cookie.partitioned,
    ).toBe(true);
  });
});
