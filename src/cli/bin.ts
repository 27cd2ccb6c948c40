#!/usr/bin/env node
/** The package's `bin`: `npx nestjs-chunked-session inspect …` (see run.ts). */
import { run } from './run.js';

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

run(process.argv.slice(2), {
  env: process.env,
  readStdin,
  stdinIsTty: process.stdin.isTTY === true,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`nestjs-chunked-session: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
