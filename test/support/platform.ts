/**
 * The HTTP platform the Nest tests run on: `PLATFORM=fastify` runs the same suites on
 * `FastifyAdapter` (`.ci/run` does both); anything else, Express.
 */
export type Platform = 'express' | 'fastify';

export const PLATFORM: Platform = process.env.PLATFORM === 'fastify' ? 'fastify' : 'express';

/** `it` where a behaviour exists on one platform only (the other says why in its own test). */
export const onExpress = PLATFORM === 'express';
export const onFastify = PLATFORM === 'fastify';
