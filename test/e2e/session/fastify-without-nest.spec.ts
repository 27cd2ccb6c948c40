/**
 * `nestjs-chunked-session/fastify` in an application that has Fastify and neither NestJS nor
 * Express: the built package (dist/esm, `npm run build`) run in a Node process where a resolve
 * hook makes those packages unresolvable (test/e2e/fixtures/no-nest/).
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isCi } from '../../support/require-server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILT = existsSync(`${ROOT}dist/esm/fastify/index.js`);
const FIXTURES = `${ROOT}test/e2e/fixtures/no-nest/`;

if (!BUILT) {
  const notice = 'dist/ is not built (npm run build): the Fastify-only run is skipped';
  if (isCi()) throw new Error(`${notice}; CI builds before it tests`);
  console.log(notice);
}

(BUILT ? describe : describe.skip)('the Fastify plugin without NestJS or Express', () => {
  it('loads, writes a session and reads it back', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', `${FIXTURES}register.mjs`, `${FIXTURES}fastify-only.mjs`],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout.trim());
    expect(out.express).toBe('hidden');
    expect(out.first).toEqual({ n: 1 });
    expect(out.second).toEqual({ n: 2 });
    expect(out.cookie).toMatch(/^session=1\.[A-Za-z0-9_-]+$/);
  });
});
