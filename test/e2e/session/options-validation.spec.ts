import { describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import {
  ChunkedSessionModule,
  ChunkedSessionOptionsError,
  chunkedSession,
  type ChunkedSessionOptions,
} from '../../../src/index.js';
import { sessionAppModule } from '../fixtures/session-app.module.js';
import { SECRET } from '../fixtures/secrets.js';
import { startUp } from '../fixtures/start-up.js';

const P = 'nestjs-chunked-session: option';

/** Bad options, the option each names, and the whole message (problem and fix). */
const cases: [string, unknown, string][] = [
  [
    'a secret shorter than 32',
    { secret: 'too-short' },
    `${P} \`secret\` has 9 characters; at least 32 are required. Use a random string of at least 32 characters (e.g. from \`openssl rand -base64 48\`).`,
  ],
  [
    'a missing secret',
    {},
    `${P} \`secret\` is missing. Pass a random string of at least 32 characters (e.g. from \`openssl rand -base64 48\`).`,
  ],
  [
    '__Host- with a domain',
    { secret: SECRET, cookieName: '__Host-sid', cookie: { domain: 'example.com' } },
    `${P} \`cookie.domain\` is set, but the cookie name "__Host-sid" has the __Host- prefix, which forbids a Domain. Remove \`domain\`, or use the __Secure- prefix instead.`,
  ],
  [
    "__Host- with a path other than '/'",
    { secret: SECRET, cookieName: '__Host-sid', cookie: { path: '/app' } },
    `${P} \`cookie.path\` is "/app", but the cookie name "__Host-sid" has the __Host- prefix, which requires Path=/. Remove \`path\` (it defaults to '/'), or use the __Secure- prefix instead.`,
  ],
  [
    '__Host- with secure: false',
    { secret: SECRET, cookieName: '__Host-sid', cookie: { secure: false } },
    `${P} \`cookie.secure\` is false, but the cookie name "__Host-sid" has the __Host- prefix, which browsers accept only with Secure. Remove \`secure: false\` or choose a name without the __Host- prefix.`,
  ],
  [
    '__Secure- with secure: false',
    { secret: SECRET, cookieName: '__Secure-sid', cookie: { secure: false } },
    `${P} \`cookie.secure\` is false, but the cookie name "__Secure-sid" has the __Secure- prefix, which browsers accept only with Secure. Remove \`secure: false\` or choose a name without the __Secure- prefix.`,
  ],
  [
    "sameSite 'none' without secure",
    { secret: SECRET, cookie: { sameSite: 'none' } },
    `${P} \`cookie.sameSite\` is 'none' without \`secure: true\`; browsers reject SameSite=None cookies that are not Secure. Set \`secure: true\` (and serve over HTTPS), or use sameSite 'lax'.`,
  ],
  [
    'a bad protection',
    { secret: SECRET, protection: 'rot13' },
    `${P} \`protection\` is "rot13". Use 'encrypt' or 'sign'.`,
  ],
  [
    'a negative idleTimeout',
    { secret: SECRET, idleTimeout: -60 },
    `${P} \`idleTimeout\` is -60. Use a number above 0.`,
  ],
  [
    'a negative absoluteTimeout',
    { secret: SECRET, absoluteTimeout: -1 },
    `${P} \`absoluteTimeout\` is -1. Use a number above 0.`,
  ],
  [
    'a negative touchAfter',
    { secret: SECRET, touchAfter: -1 },
    `${P} \`touchAfter\` is -1. Use a number of 0 or more.`,
  ],
  [
    'an unknown option (idleTimout, a typo of idleTimeout)',
    { secret: SECRET, idleTimout: 60 },
    `${P} \`idleTimout\` is not an option. Did you mean \`idleTimeout\`?`,
  ],
  [
    'a remember idle window past its maxAge',
    { secret: SECRET, remember: { maxAge: 3600, idleTimeout: 7200 } },
    `${P} \`remember.idleTimeout\` is 7200, above \`remember.maxAge\` (3600): the browser would drop the cookies before the idle window ends. Use at most 3600, or raise \`remember.maxAge\`.`,
  ],
  [
    'a remember maxAge of 0',
    { secret: SECRET, remember: { maxAge: 0 } },
    `${P} \`remember.maxAge\` is 0. Use a number above 0.`,
  ],
  [
    'an exclude path that path-to-regexp refuses',
    { secret: SECRET, exclude: ['/files/:'] },
    `${P} \`exclude[0]\` is not a path pattern (Missing parameter name at index 8: /files/:; visit https://git.new/pathToRegexpError for info). Use Express 5 path syntax: '/health', '/users/:id', '/assets/{*rest}'.`,
  ],
  [
    'two catch-all partitions',
    {
      secret: SECRET,
      sessions: [
        { cookieName: 'a', fields: 'auto' },
        { cookieName: 'b', fields: { exclude: ['x'] } },
      ],
    },
    `${P} \`sessions\` has 2 catch-all partitions (a, b). Give exactly one partition \`fields: 'auto'\` or \`fields: { exclude: [...] }\`.`,
  ],
];

async function rejection(start: () => Promise<unknown>): Promise<ChunkedSessionOptionsError> {
  const error = await start().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChunkedSessionOptionsError);
  return error as ChunkedSessionOptionsError;
}

describe('options are validated at start-up', () => {
  it.each(cases)('forRoot: %s stops NestFactory.create / init', async (_, options, message) => {
    const error = await rejection(() =>
      startUp(sessionAppModule(options as ChunkedSessionOptions)),
    );
    expect(error.code).toBe('ERR_SESSION_OPTIONS');
    expect(error.message).toBe(message);
  });

  it.each(cases)('forRootAsync useFactory: %s stops start-up', async (_, options, message) => {
    @Module({
      imports: [
        ChunkedSessionModule.forRootAsync({
          useFactory: async () => options as ChunkedSessionOptions,
        }),
      ],
    })
    class AsyncModule {}
    const error = await rejection(() => startUp(AsyncModule));
    expect(error.code).toBe('ERR_SESSION_OPTIONS');
    expect(error.message).toBe(message);
  });

  it.each(cases)('chunkedSession(): %s throws', (_, options, message) => {
    let thrown: unknown;
    try {
      chunkedSession(options as ChunkedSessionOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ChunkedSessionOptionsError);
    expect((thrown as ChunkedSessionOptionsError).code).toBe('ERR_SESSION_OPTIONS');
    expect((thrown as ChunkedSessionOptionsError).message).toBe(message);
  });

  it('starts with valid options', async () => {
    await expect(startUp(sessionAppModule({ secret: SECRET }))).resolves.toBeUndefined();
    expect(typeof chunkedSession({ secret: [SECRET, SECRET.toUpperCase()] })).toBe('function');
  });
});
