// The session layers under test. Every variant is the same Nest application and route; only the
// session layer differs: this library through its Nest module, the peers as Express middleware
// mounted with app.use().
import session from 'express-session';
import cookieSession from 'cookie-session';
import { getIronSession } from 'iron-session';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { Redis } from 'ioredis';
import { floorSession } from './floor-session.mjs';
import { ChunkedSessionModule, RedisStore, chunkedSession } from '../dist/esm/index.js';

export const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Limits for this library: the browser table's, but a Cookie header of up to 32 000 bytes, as an
 * application behind proxies it controls would set it, so that 12 KB sessions fit (in chunks
 * of at most 4096 bytes each, which every browser keeps).
 */
const LIMITS = { maxTotalBytes: 32_000 };

/** name → { label, kind, holds: where the data lives, usesRedis } */
export const VARIANTS = {
  none: { label: 'no session (ceiling)', kind: 'none' },
  floor: { label: 'floor: JSON + AES-256-GCM + base64url', kind: 'express', cookie: true },
  'chunked-encrypt': { label: 'this library, encrypt', kind: 'chunked', cookie: true },
  'chunked-sign': { label: 'this library, sign', kind: 'chunked', cookie: true },
  'chunked-redis': {
    label: 'this library, RedisStore partition',
    kind: 'chunked',
    usesRedis: true,
  },
  'express-session-memory': { label: 'express-session, MemoryStore', kind: 'express' },
  'express-session-redis': {
    label: 'express-session + connect-redis',
    kind: 'express',
    usesRedis: true,
  },
  'cookie-session': { label: 'cookie-session', kind: 'express', cookie: true },
  'iron-session': { label: 'iron-session', kind: 'express', cookie: true },
  // Diagnostics, run only when named with --variants: this library's Express middleware
  // (chunkedSession) mounted with app.use instead of its Nest module.
  'chunked-express': {
    label: 'this library, encrypt, Express middleware',
    kind: 'chunked',
    cookie: true,
    diagnostic: true,
  },
};

export const VARIANT_NAMES = Object.keys(VARIANTS).filter((n) => !VARIANTS[n].diagnostic);

/**
 * Builds a variant's session layer. Returns `{ imports, use, save, close }`: Nest module imports,
 * Express middleware to mount with app.use(), a per-request save for libraries that need an
 * explicit one (iron-session), and a clean-up that removes every Redis key it made.
 */
export async function createLayer(name, prefix) {
  switch (name) {
    case 'none':
      return { imports: [], use: [] };
    case 'chunked-encrypt':
    case 'chunked-sign':
      return {
        imports: [
          ChunkedSessionModule.forRoot({
            secret: SECRET,
            protection: name === 'chunked-sign' ? 'sign' : 'encrypt',
            limits: LIMITS,
          }),
        ],
        use: [],
      };
    case 'chunked-redis': {
      const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      return {
        imports: [
          ChunkedSessionModule.forRoot({
            secret: SECRET,
            limits: LIMITS,
            sessions: [
              { cookieName: 'session', fields: 'auto', store: new RedisStore({ client, prefix }) },
            ],
          }),
        ],
        use: [],
        close: async () => {
          await deleteKeys(
            (cursor) => client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000),
            (keys) => client.del(...keys),
          );
          client.disconnect();
        },
      };
    }
    case 'floor': {
      const floor = floorSession(SECRET);
      return { imports: [], use: [floor.middleware], save: floor.save };
    }
    case 'chunked-express':
      return { imports: [], use: [chunkedSession({ secret: SECRET, limits: LIMITS })] };
    case 'express-session-memory':
      return {
        imports: [],
        use: [
          session({
            secret: SECRET,
            name: 'sid',
            resave: false,
            saveUninitialized: false,
            cookie: { httpOnly: true, sameSite: 'lax' },
          }),
        ],
      };
    case 'express-session-redis': {
      const client = createClient({ url: REDIS_URL });
      client.on('error', () => {});
      await client.connect();
      return {
        imports: [],
        use: [
          session({
            secret: SECRET,
            name: 'sid',
            resave: false,
            saveUninitialized: false,
            cookie: { httpOnly: true, sameSite: 'lax' },
            store: new ConnectRedisStore({ client, prefix }),
          }),
        ],
        close: async () => {
          await deleteKeys(
            async (cursor) => {
              const r = await client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
              return [String(r.cursor), r.keys];
            },
            (keys) => client.del(keys),
          );
          await client.quit();
        },
      };
    }
    case 'cookie-session':
      return {
        imports: [],
        use: [cookieSession({ name: 'session', keys: [SECRET], httpOnly: true, sameSite: 'lax' })],
      };
    case 'iron-session': {
      const options = {
        password: SECRET,
        cookieName: 'iron',
        cookieOptions: { httpOnly: true, sameSite: 'lax', secure: false, path: '/' },
      };
      return {
        imports: [],
        use: [
          (req, res, next) => {
            getIronSession(req, res, options).then(
              (s) => {
                req.session = s;
                next();
              },
              (error) => next(error),
            );
          },
        ],
        save: (req) => req.session.save(),
      };
    }
    default:
      throw new Error(`unknown variant ${name}`);
  }
}

/** SCAN + DEL until the cursor comes back to 0 (bounded). */
async function deleteKeys(scan, del) {
  let cursor = '0';
  for (let guard = 0; guard < 10_000; guard++) {
    const [next, keys] = await scan(cursor);
    if (keys.length) await del(keys);
    cursor = String(next);
    if (cursor === '0') return;
  }
}
