// `npm start`: compiles the sample shop (sample/, with the library's source) into dist-sample/
// with the installed TypeScript, then runs it. Nothing but `npm install` is needed beforehand.
// Environment: PORT (3000), HOST (127.0.0.1), SESSION_SECRET, REDIS_URL, SESSION_DIR,
// PLATFORM (express, or fastify: the same application on FastifyAdapter).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

// tsc's incremental build trusts its .tsbuildinfo: without the output it describes, start over.
if (!existsSync(join(root, 'dist-sample/sample/main.js'))) {
  rmSync(join(root, 'dist-sample'), { recursive: true, force: true });
}

console.log('Compiling the sample (sample/ → dist-sample/) …');
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'sample/tsconfig.json')],
  { stdio: 'inherit', cwd: root },
);
if (tsc.error) {
  console.error(
    `Could not run the TypeScript compiler: ${tsc.error.message}. Did you run npm install?`,
  );
  process.exit(1);
}
if (tsc.status !== 0) {
  console.error('The sample did not compile (errors above).');
  process.exit(tsc.status ?? 1);
}

await import(pathToFileURL(join(root, 'dist-sample/sample/main.js')).href);
