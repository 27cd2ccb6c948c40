/**
 * The inspector as a user runs it: the library compiled by the installed TypeScript (as
 * scripts/build.mjs compiles dist/esm), then `node <build>/cli/bin.js inspect …` in a child
 * process, with its own environment and standard input.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BuiltCli {
  bin: string;
  remove(): void;
}

/** Compiles src/ (ESM) into a fresh folder under .test-results/ and returns its bin. */
export function buildCli(): BuiltCli {
  const parent = join(ROOT, '.test-results');
  mkdirSync(parent, { recursive: true });
  const out = mkdtempSync(join(parent, 'inspect-cli-'));
  const tsc = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      out,
      '--declaration',
      'false',
      '--sourceMap',
      'false',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}\n${tsc.stderr}`);
  return {
    bin: join(out, 'cli/bin.js'),
    remove: () => rmSync(out, { recursive: true, force: true }),
  };
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin …args` with `env` (nothing inherited but PATH) and `stdin`. */
export function runCli(
  bin: string,
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
