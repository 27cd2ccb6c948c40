// `npm run bench [-- --quick]`: builds the library, then runs bench/run.mjs against dist/esm.
import { execFileSync } from 'node:child_process';

const started = Date.now();
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const buildSeconds = String((Date.now() - started) / 1000);
// fetch (the round-trip checks) must read the Set-Cookie lines of a 12 KB session: over 16 KiB.
execFileSync(
  process.execPath,
  ['--max-http-header-size=65536', 'bench/run.mjs', ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, BENCH_BUILD_SECONDS: buildSeconds } },
);
