/**
 * `nestjs-chunked-session inspect`: reads its input, inspects, prints, and returns the exit
 * status (0: every partition present opens and every header fits; 1: not; 2: bad usage).
 */
import { readFileSync } from 'node:fs';
import { readArgs, USAGE } from './args.js';
import { HarError, readHar } from './har.js';
import { inspect, type InspectInput } from './inspect.js';
import { renderText } from './render-text.js';
import { readSecrets } from './secrets.js';
import { UsageError } from './usage-error.js';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  readStdin(): Promise<string>;
  stdinIsTty: boolean;
  out(text: string): void;
  err(text: string): void;
}

/** A Cookie header pasted as text: an optional `Cookie:` name, lines joined. */
export function headerFromText(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/^cookie:\s*/i, ''))
    .filter((line) => line !== '')
    .join('; ');
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = readArgs(argv);
    if (args.help) {
      io.out(USAGE + '\n');
      return 0;
    }
    const secrets = readSecrets(args, io.env);
    let input: InspectInput;
    if (args.har !== undefined) {
      let text: string;
      try {
        text = readFileSync(args.har, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read --har ${args.har}: ${(error as Error).message}`);
      }
      input = { source: 'har', requests: readHar(text) };
    } else {
      if (io.stdinIsTty) io.err('Paste the Cookie header, then press Ctrl-D:\n');
      input = { source: 'stdin', cookieHeader: headerFromText(await io.readStdin()) };
    }
    const report = inspect(input, { ...args, secrets });
    io.out(args.json ? JSON.stringify(report, null, 2) + '\n' : renderText(report));
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError || error instanceof HarError) {
      io.err(`nestjs-chunked-session: ${error.message}\n(see nestjs-chunked-session --help)\n`);
      return 2;
    }
    throw error;
  }
}
