/**
 * The application the read-path fuzzing talks to: three partitions (a one-field cookie, a
 * MemoryStore partition, and the catch-all cookie set split into several chunks), served
 * with a 4 MiB header limit so megabyte Cookie headers reach the library.
 */
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { ChunkedSessionModule, MemoryStore, Session } from '../../src/index.js';
import { startNestApp, type RunningApp } from '../support/nest-app.js';
import {
  CaptureLogger,
  OLD_SECRET,
  RawClient,
  SECRET,
  engineOf,
  recordOpens,
  setCookieMap,
} from './harness.js';

/** Fields of each partition, by cookie name. */
export const GROUPS = {
  csrf: ['csrf'],
  sid: ['user'],
  session: ['cart', 'note', 'n'],
} as const;
export type GroupName = keyof typeof GROUPS;
export const GROUP_NAMES = Object.keys(GROUPS) as GroupName[];

/** Small chunks, so the catch-all set spans several cookies. */
export const MAX_COOKIE_BYTES = 700;
/** The read side's bound: no sealed value longer than this is ever opened. */
export const MAX_TOTAL_BYTES = 8000;

@Controller()
class FuzzController {
  @Get('read')
  read(@Session() session: Record<string, unknown>) {
    return { data: session };
  }

  @Post('write')
  write(@Session() session: Record<string, unknown>, @Body() body: Record<string, unknown>) {
    for (const key of Object.keys(body)) session[key] = body[key];
    return { data: session };
  }
}

export interface FuzzApp {
  running: RunningApp;
  client: RawClient;
  logger: CaptureLogger;
  store: MemoryStore;
  opens: ReturnType<typeof recordOpens>;
  close(): Promise<void>;
}

export async function startFuzzApp(protection: 'encrypt' | 'sign'): Promise<FuzzApp> {
  const store = new MemoryStore({ maxEntries: 1000 });
  @Module({
    imports: [
      ChunkedSessionModule.forRoot({
        secret: [SECRET, OLD_SECRET],
        protection,
        // Room in the response for the whole single value: these sets stay in the single-value
        // format (the delta set's read path is fuzzed in test/property/delta-set.spec.ts).
        limits: {
          maxCookieBytes: MAX_COOKIE_BYTES,
          maxTotalBytes: MAX_TOTAL_BYTES,
          maxResponseHeaderBytes: 32768,
        },
        sessions: [
          { cookieName: 'csrf', fields: [...GROUPS.csrf] },
          { cookieName: 'sid', fields: [...GROUPS.sid], store },
          { cookieName: 'session', fields: 'auto' },
        ],
      }),
    ],
    controllers: [FuzzController],
  })
  class FuzzModule {}

  const logger = new CaptureLogger();
  const running = await startNestApp(FuzzModule, {
    maxHeaderSize: 4 * 1024 * 1024,
    configure: (app) => app.useLogger(logger),
  });
  const client = new RawClient(running.url);
  const opens = recordOpens(engineOf(running.app));
  return {
    running,
    client,
    logger,
    store,
    opens,
    close: async () => {
      client.close();
      await running.close();
    },
  };
}

/** A session as the fuzzing knows it: its data, and the cookies the application set for it. */
export interface KnownSession {
  data: Record<string, unknown>;
  cookies: Map<string, string>;
}

/** Writes a session through the application and keeps the cookies it set. */
export async function makeSession(app: FuzzApp, tag: string): Promise<KnownSession> {
  const data = {
    csrf: `csrf-${tag}-${'t'.repeat(20)}`,
    user: { id: `user-${tag}`, roles: ['reader', 'writer'] },
    cart: Array.from({ length: 12 }, (_, i) => ({ sku: `${tag}-${i}`, qty: i + 1 })),
    note: `${tag}:`.padEnd(1600, 'n'),
    n: 42,
  };
  const res = await app.client.post('/write', data);
  if (res.status !== 201) throw new Error(`makeSession: ${res.status} ${res.body}`);
  app.opens.take();
  return { data, cookies: setCookieMap(res.setCookies) };
}

/** The chunk cookies of one partition of a known session, in index order. */
export function chunksOf(session: KnownSession, name: GroupName): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; ; i++) {
    const chunk = i === 0 ? name : `${name}.${i}`;
    const value = session.cookies.get(chunk);
    if (value === undefined) return out;
    out.push([chunk, value]);
  }
}

/** The part of `data` that one partition keeps. */
export function groupOf(data: Record<string, unknown>, name: GroupName): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of GROUPS[name]) if (Object.hasOwn(data, key)) out[key] = data[key];
  return out;
}
