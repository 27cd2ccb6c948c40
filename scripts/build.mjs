// Dual build: dist/esm (ESM) and dist/cjs (CommonJS), each with a package.json declaring its type.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';

const tsc = (args) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
tsc(['-p', 'tsconfig.build.json']);
tsc(['-p', 'tsconfig.build.json', '--module', 'commonjs', '--moduleResolution', 'node10', '--ignoreDeprecations', '6.0', '--outDir', 'dist/cjs']);
writeFileSync('dist/esm/package.json', JSON.stringify({ type: 'module' }) + '\n');
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
console.log('built dist/esm and dist/cjs');
