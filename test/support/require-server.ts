/**
 * The project's rule for tests that need a real server: when the server cannot be found, the
 * tests SKIP with a printed notice when run by hand, and FAIL when `process.env.CI === 'true'`
 * (CI must never pass by skipping). `.ci/services.sh` starts every server CI needs.
 *
 * Usage, at the top level of a spec file (ESM: top-level await works):
 *
 *   await describeWithServer(
 *     { name: 'Redis', host: '127.0.0.1', port: 6379, start: 'redis-server --daemonize yes' },
 *     'RedisStore',
 *     () => { ...tests... },
 *   );
 */
import { createConnection } from 'node:net';

import { describe, it } from '@jest/globals';

export interface ServerRequirement {
  /** What it is, for the notice: 'Redis', 'PostgreSQL'. */
  name: string;
  host: string;
  port: number;
  /** How to start it, for the notice. */
  start?: string;
}

/** Whether something accepts TCP connections on `host:port` within `timeoutMs`. */
export function probeTcp(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function isCi(): boolean {
  return process.env.CI === 'true';
}

/**
 * Says a requirement is missing: in CI, defines a failing test under `title`; by hand, prints a
 * notice and defines `body` as skipped (so the skipped tests are counted).
 */
export function describeMissing(title: string, problem: string, body: () => void): void {
  if (isCi()) {
    describe(title, () => {
      it('has its server (CI=true: a missing server fails)', () => {
        throw new Error(`${problem} CI=true, so this fails instead of skipping.`);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${title}: ${problem} (tests are skipped when run by hand)`);
  describe.skip(title, body);
}

/** Defines `body` under `title` when the server answers; otherwise skips or fails (see above). */
export async function describeWithServer(
  server: ServerRequirement,
  title: string,
  body: () => void,
): Promise<void> {
  if (await probeTcp(server.host, server.port)) {
    describe(title, body);
    return;
  }
  const hint = server.start ? ` Start it with: ${server.start}` : '';
  describeMissing(
    title,
    `no ${server.name} answers on ${server.host}:${server.port}.${hint} (or run .ci/services.sh)`,
    body,
  );
}
