/**
 * The sample shop's entry point, run by `npm start` (scripts/start-sample.mjs compiles it first).
 * Environment: PORT (3000), HOST (127.0.0.1), SESSION_SECRET (random), REDIS_URL (none: files),
 * SESSION_DIR (FileStore's folder), PLATFORM (`express`, or `fastify` for FastifyAdapter).
 */
import { startSample } from './bootstrap.js';

function port(text: string | undefined): number {
  if (text === undefined || text === '') return 3000;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535 (got ${JSON.stringify(text)})`);
  }
  return n;
}

function platform(text: string | undefined): 'express' | 'fastify' {
  if (text === undefined || text === '' || text === 'express') return 'express';
  if (text === 'fastify') return 'fastify';
  throw new Error(`PLATFORM must be express or fastify (got ${JSON.stringify(text)})`);
}

const sample = await startSample({
  platform: platform(process.env.PLATFORM),
  port: port(process.env.PORT),
  host: process.env.HOST || '127.0.0.1',
  secret: process.env.SESSION_SECRET || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
  sessionDir: process.env.SESSION_DIR || undefined,
});

console.log(
  [
    `Sample shop listening on ${sample.url}`,
    ...(sample.platform === 'fastify' ? ['  platform: NestJS on Fastify (FastifyAdapter)'] : []),
    `  sessions: sealed cookies; user and roles in ${sample.storeLabel}`,
    ...(sample.randomSecret
      ? ['  secret: made up at start-up (set SESSION_SECRET to keep sessions across restarts)']
      : []),
    '  Ctrl+C to stop',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    sample.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
