/**
 * Session data that tries prototype pollution (`__proto__`, `constructor`, `prototype`) reaches
 * no prototype (issue 7, "Hostile input"): whether it comes from a request body the handler
 * stores, a top-level session key, or a sealed cookie; through cookie partitions, store
 * partitions (MemoryStore, FileStore), an overflow store and the shrink phases.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChunkedSessionModule,
  FileStore,
  MemoryStore,
  Session,
  type ChunkedSessionOptions,
  type SessionStore,
} from '../../src/index.js';
import { startNestApp, type RunningApp } from '../support/nest-app.js';
import {
  CaptureLogger,
  RawClient,
  SECRET,
  cookieHeader,
  mintCookies,
  setCookieMap,
} from './harness.js';

/**
 * On Fastify, its JSON parser refuses `__proto__` and `constructor.prototype` keys itself (400)
 * before any handler runs; these tests need them in the session, to test the library's own
 * handling, so they are let through as JSON.parse reads them (own keys).
 */
const LET_HOSTILE_JSON_THROUGH = {
  onProtoPoisoning: 'ignore',
  onConstructorPoisoning: 'ignore',
} as const;

/** A JSON text whose parse gives own `__proto__` keys (JSON.parse never sets a prototype). */
const HOSTILE_JSON =
  '{"__proto__":{"polluted":"yes","isAdmin":true},' +
  '"constructor":{"prototype":{"polluted":"yes"}},' +
  '"prototype":{"polluted":"yes"},' +
  '"nested":{"__proto__":{"polluted":"yes"},"list":[{"__proto__":{"polluted":"yes"}}]}}';

const OBJECT_PROTOTYPE_KEYS = Reflect.ownKeys(Object.prototype).map(String).sort();

/** What must hold in this process (the application runs in it) after every request. */
function expectNoPollution(): void {
  expect(Reflect.ownKeys(Object.prototype).map(String).sort()).toEqual(OBJECT_PROTOTYPE_KEYS);
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
  expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
  expect(Object.prototype.constructor).toBe(Object);
  expect((Object as unknown as Record<string, unknown>).polluted).toBeUndefined();
  // Node's own realm, where structuredClone (MemoryStore) creates objects.
  const nodeRealmPrototype = Object.getPrototypeOf(structuredClone({})) as object;
  expect(Object.keys(nodeRealmPrototype)).toEqual([]);
  expect('polluted' in nodeRealmPrototype).toBe(false);
}

/** Copies keys as own data properties (the only way a handler can give the session a `__proto__` key). */
function defineOwn(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(source)) {
    Object.defineProperty(target, key, {
      value: source[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}

/**
 * Whether `proto` is an untouched `Object.prototype` — of this realm or of Node's own (Jest runs
 * tests in a vm context, and `structuredClone` in MemoryStore builds objects of Node's realm).
 */
function isObjectPrototype(proto: unknown): boolean {
  if (proto === Object.prototype) return true;
  if (proto === null || typeof proto !== 'object') return false;
  return (
    Object.getPrototypeOf(proto) === null &&
    (proto as { constructor?: { name?: string } }).constructor?.name === 'Object' &&
    Object.keys(proto).length === 0 &&
    !('polluted' in proto)
  );
}

/** How the handler sees an object: its own keys, and whether its prototype is still Object's. */
function describeObject(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(describeObject);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {
    $proto: isObjectPrototype(Object.getPrototypeOf(value)) ? 'Object.prototype' : 'OTHER',
  };
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, {
      value: describeObject((value as Record<string, unknown>)[key]),
      enumerable: true,
    });
  }
  return out;
}

@Controller()
class PollutionController {
  /** Stores the parsed body under one key (a common pattern: `session.profile = body`). */
  @Post('profile')
  profile(@Session() session: Record<string, unknown>, @Body() body: Record<string, unknown>) {
    session.profile = body;
    return { ok: true };
  }

  /** Merges the body's keys into the session as own properties, `__proto__` included. */
  @Post('merge')
  merge(@Session() session: Record<string, unknown>, @Body() body: Record<string, unknown>) {
    defineOwn(session, body);
    return { ok: true };
  }

  @Post('touch')
  touch(@Session() session: Record<string, unknown>) {
    session.counter = ((session.counter as number | undefined) ?? 0) + 1;
    return { ok: true };
  }

  @Get('inspect')
  inspect(@Session() session: Record<string, unknown>) {
    const probe: Record<string, unknown> = {};
    return {
      session: describeObject(session),
      hasOwnProto: Object.hasOwn(session, '__proto__'),
      probePolluted: probe.polluted ?? null,
    };
  }
}

/** Expected `describeObject` of the JSON text, parsed. */
function described(json: string): unknown {
  return describeObject(JSON.parse(json));
}

interface Scenario {
  name: string;
  options: () => Omit<ChunkedSessionOptions, 'secret'>;
  /** A store that must hold the data once it is written. */
  store?: MemoryStore;
}

const overflowStore = new MemoryStore();

const dirs: string[] = [];
const scenarios: Scenario[] = [
  { name: 'one cookie partition (encrypt)', options: () => ({}) },
  { name: 'one cookie partition (sign)', options: () => ({ protection: 'sign' }) },
  {
    name: 'a MemoryStore partition',
    options: () => ({
      sessions: [
        { cookieName: 'sid', fields: { exclude: ['counter'] }, store: new MemoryStore() },
        { cookieName: 'c', fields: ['counter'] },
      ],
    }),
  },
  {
    name: 'a FileStore partition',
    options: () => {
      const dir = mkdtempSync(join(tmpdir(), 'pollution-'));
      dirs.push(dir);
      const store: SessionStore = new FileStore({ dir: join(dir, 'sessions') });
      return {
        sessions: [
          { cookieName: 'sid', fields: { exclude: ['counter'] }, store },
          { cookieName: 'c', fields: ['counter'] },
        ],
      };
    },
  },
  {
    name: 'a cookie partition that moves to its overflow store',
    options: () => ({
      limits: { maxTotalBytes: 250 },
      sessions: [{ cookieName: 'session', fields: 'auto', overflow: overflowStore }],
    }),
    store: overflowStore,
  },
];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.each(scenarios)('prototype pollution through $name', ({ options, store }) => {
  let running: RunningApp;
  let client: RawClient;
  let logger: CaptureLogger;

  beforeAll(async () => {
    @Module({
      imports: [ChunkedSessionModule.forRoot({ secret: SECRET, ...options() })],
      controllers: [PollutionController],
    })
    class PollutionModule {}
    logger = new CaptureLogger();
    running = await startNestApp(PollutionModule, {
      configure: (app) => app.useLogger(logger),
      fastifyOptions: LET_HOSTILE_JSON_THROUGH,
    });
    client = new RawClient(running.url);
  });

  afterAll(async () => {
    client.close();
    await running.close();
  });

  afterEach(() => expectNoPollution());

  /** Follows Set-Cookie like a browser would, for a short sequence of requests. */
  async function session() {
    let jar = new Map<string, string>();
    const send = async (method: 'GET' | 'POST', path: string, json?: string) => {
      // JSON.parse keeps `__proto__` as an own key, and JSON.stringify writes it back.
      const res = await client.request(method, path, {
        cookie: jar.size ? cookieHeader(jar) : undefined,
        body: json === undefined ? undefined : JSON.parse(json),
      });
      for (const line of res.setCookies) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq);
        const value = pair!.slice(eq + 1);
        if (value === '') jar.delete(name);
        else jar.set(name, value);
      }
      jar = new Map(jar);
      return res;
    };
    return { send, jar: () => jar };
  }

  it('keeps a stored body with __proto__ keys as plain own data, across requests', async () => {
    const s = await session();
    expect((await s.send('POST', '/profile', HOSTILE_JSON)).status).toBe(201);
    expectNoPollution();
    if (store) expect(store.size).toBeGreaterThan(0);
    const first = await s.send('GET', '/inspect');
    expect(first.status).toBe(200);
    expect(first.json.session.$proto).toBe('Object.prototype');
    expect(first.json.session.profile).toEqual(described(HOSTILE_JSON));
    expect(Object.hasOwn(first.json.session.profile, '__proto__')).toBe(true);
    expect(first.json.probePolluted).toBeNull();
    // Another change re-seals (or re-stores) it: still plain data.
    expect((await s.send('POST', '/touch')).status).toBe(201);
    const second = await s.send('GET', '/inspect');
    expect(second.json.session.profile).toEqual(described(HOSTILE_JSON));
    expect(second.json.session.counter).toBe(1);
    expect(logger.errors).toEqual([]);
  });

  it('keeps top-level __proto__, constructor and prototype keys as own keys of the session', async () => {
    const s = await session();
    expect((await s.send('POST', '/merge', HOSTILE_JSON)).status).toBe(201);
    expectNoPollution();
    if (store) expect(store.size).toBeGreaterThan(1);
    const read = await s.send('GET', '/inspect');
    expect(read.status).toBe(200);
    expect(read.json.hasOwnProto).toBe(true);
    expect(read.json.session.$proto).toBe('Object.prototype');
    const expected = described(HOSTILE_JSON) as Record<string, unknown>;
    const got = read.json.session as Record<string, unknown>;
    for (const key of ['constructor', 'prototype', 'nested'])
      expect(got[key]).toEqual(expected[key]);
    expect(Object.hasOwn(got, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toEqual(
      Object.getOwnPropertyDescriptor(expected, '__proto__')?.value,
    );
    expect((await s.send('POST', '/touch')).status).toBe(201);
    const again = await s.send('GET', '/inspect');
    expect(again.json.hasOwnProto || again.json.session.$proto === 'Object.prototype').toBe(true);
    expect(again.json.session.$proto).toBe('Object.prototype');
    expect(again.json.probePolluted).toBeNull();
  });
});

describe('prototype pollution through the shrink phases (shrinkers keyed __proto__ and constructor)', () => {
  let running: RunningApp;
  let client: RawClient;
  let logger: CaptureLogger;
  const events: unknown[] = [];

  beforeAll(async () => {
    @Module({
      imports: [
        ChunkedSessionModule.forRoot({
          secret: SECRET,
          limits: { maxTotalBytes: 400 },
          onShrink: (event) => events.push(event),
          shrinkers: [
            {
              key: '__proto__',
              shrink: (v: unknown, ctx) =>
                ctx.last
                  ? undefined
                  : {
                      kept:
                        (v as { kept?: unknown; polluted?: unknown }).kept ??
                        (v as { polluted?: unknown }).polluted,
                    },
            },
            { key: 'constructor', priority: -1, shrink: () => undefined },
          ],
        }),
      ],
      controllers: [PollutionController],
    })
    class ShrinkModule {}
    logger = new CaptureLogger();
    running = await startNestApp(ShrinkModule, {
      configure: (app) => app.useLogger(logger),
      fastifyOptions: LET_HOSTILE_JSON_THROUGH,
    });
    client = new RawClient(running.url);
  });

  afterAll(async () => {
    client.close();
    await running.close();
  });

  it('shrinks and removes __proto__ and constructor keys as own keys, touching no prototype', async () => {
    const body = JSON.parse(HOSTILE_JSON) as Record<string, unknown>;
    body.padding = 'p'.repeat(200); // no shrinker: removed in phase 2, largest first
    const write = await client.post('/merge', body);
    expect(write.status).toBe(201);
    expectNoPollution();
    expect(events).toEqual([
      expect.objectContaining({
        cookieName: 'session',
        shrunkKeys: ['__proto__'],
        removedKeys: ['constructor', 'padding'],
      }),
    ]);
    const read = await client.get('/inspect', cookieHeader(setCookieMap(write.setCookies)));
    expect(read.status).toBe(200);
    expect(read.json.hasOwnProto).toBe(true);
    expect(read.json.session.$proto).toBe('Object.prototype');
    expect(Object.getOwnPropertyDescriptor(read.json.session, '__proto__')?.value).toEqual({
      $proto: 'Object.prototype',
      kept: 'yes',
    });
    expect(Object.hasOwn(read.json.session, 'constructor')).toBe(false);
    expect(Object.hasOwn(read.json.session, 'padding')).toBe(false);
    expect(read.json.probePolluted).toBeNull();
    expect(logger.errors).toEqual([]);
  });
});

describe('prototype pollution through a sealed cookie (defence in depth: a value sealed with the secret)', () => {
  let running: RunningApp;
  let client: RawClient;

  beforeAll(async () => {
    @Module({
      imports: [ChunkedSessionModule.forRoot({ secret: SECRET })],
      controllers: [PollutionController],
    })
    class SealedModule {}
    running = await startNestApp(SealedModule);
    client = new RawClient(running.url);
  });

  afterAll(async () => {
    client.close();
    await running.close();
  });

  it('opens a sealed body with __proto__ keys into own keys, for both protections', async () => {
    for (const protection of ['encrypt', 'sign'] as const) {
      // The app uses 'encrypt'; a 'sign' value must read as empty, an 'encrypt' one as own keys.
      const cookies = mintCookies({ cookieName: 'session', protection, json: HOSTILE_JSON });
      const res = await client.get('/inspect', cookieHeader(cookies));
      expect(res.status).toBe(200);
      expectNoPollution();
      if (protection === 'sign') {
        expect(res.json.session).toEqual({ $proto: 'Object.prototype' });
        continue;
      }
      expect(res.json.hasOwnProto).toBe(true);
      expect(res.json.session.$proto).toBe('Object.prototype');
      expect(res.json.session.nested).toEqual(
        (described(HOSTILE_JSON) as { nested: unknown }).nested,
      );
      expect(setCookieMap(res.setCookies).size).toBe(0);
    }
  });
});
