// `npm run bench [-- --quick]`: builds the library, then runs bench/run.mjs against dist/esm.
import { execFileSync } from 'node:child_process';

execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
// fetch (the round-trip checks) must read the Set-Cookie lines of a 12 KB session: over 16 KiB.
execFileSync(
  process.execPath,
  ['--max-http-header-size=65536', 'bench/run.mjs', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
