/** The inspector's command line, read with `node:util` `parseArgs`. */
import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

/** The library's defaults for the same options (ChunkedSessionOptions, the README's "Options"). */
export const DEFAULT_IDLE_TIMEOUT = 86400;
export const DEFAULT_ABSOLUTE_TIMEOUT = 2592000;
/** What nginx and Apache accept in one header line by default (src/limits/browser-table.ts). */
export const DEFAULT_MAX_TOTAL_BYTES = 8000;

export const USAGE = `Usage: nestjs-chunked-session inspect [options] < cookie-header.txt
       nestjs-chunked-session inspect [options] --har session.har

Opens the session cookies of a Cookie header (standard input) or of every request of a HAR
file, and says per partition whether they open and why not, and whether the header fits.

Secrets (never on the command line; one per line or a JSON array, the first seals):
  SESSION_SECRET=…            the default source
  --secret-env NAME           read them from the environment variable NAME instead
  --secret-file PATH          read them from a file instead

Options:
  --har PATH                  read every request of this HAR file instead of standard input
  --cookie-name NAME          a partition to inspect (repeatable); default: found in the names
  --user-agent UA             judge the header by this browser's limits (default: the HAR's)
  --max-total-bytes N         the proxies' Cookie header budget (default ${DEFAULT_MAX_TOTAL_BYTES})
  --idle-timeout S            the application's idleTimeout in seconds (default ${DEFAULT_IDLE_TIMEOUT})
  --absolute-timeout S        the application's absoluteTimeout in seconds (default ${DEFAULT_ABSOLUTE_TIMEOUT})
  --remember-idle-timeout S   the idle window of a remembered session ("keep me signed in"):
                              the application's remember.idleTimeout (default: the absolute timeout)
  --now TIME                  judge the timeouts at TIME (ISO 8601, or seconds since the epoch);
                              default: each HAR request's own time, or now
  --json                      print one JSON document instead of text
  -h, --help                  print this help

Exit status: 0 when every partition present opens and every header fits, 1 otherwise,
2 when the command line or the input cannot be used.`;

export interface InspectArgs {
  help: boolean;
  har: string | undefined;
  cookieNames: string[];
  secretEnv: string | undefined;
  secretFile: string | undefined;
  userAgent: string | undefined;
  maxTotalBytes: number;
  idleTimeout: number;
  absoluteTimeout: number;
  /** The idle window of a session marked "keep me signed in"; `undefined`: the absolute timeout. */
  rememberIdleTimeout: number | undefined;
  /** ms since the epoch */
  now: number | undefined;
  json: boolean;
}

function wholeNumber(
  option: string,
  text: string | undefined,
  fallback: number,
  min: number,
): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${option} must be a whole number of at least ${min} (got "${text}")`);
  }
  return Number(text);
}

function time(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      `--now must be an ISO 8601 time or seconds since the epoch (got "${text}")`,
    );
  }
  return ms;
}

export function readArgs(argv: readonly string[]): InspectArgs {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help')
    return { ...defaults(), help: true };
  if (command !== 'inspect') {
    throw new UsageError(
      command === undefined
        ? 'name the command: inspect'
        : `unknown command "${command}"; the one command is inspect`,
    );
  }
  const secretOnLine = rest.find((a) => a === '--secret' || a.startsWith('--secret='));
  if (secretOnLine) {
    throw new UsageError(
      '--secret is not accepted: a secret on the command line stays in shell history and in the process list. Set SESSION_SECRET, or use --secret-env NAME or --secret-file PATH',
    );
  }
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        har: { type: 'string' },
        'cookie-name': { type: 'string', multiple: true },
        'secret-env': { type: 'string' },
        'secret-file': { type: 'string' },
        'user-agent': { type: 'string' },
        'max-total-bytes': { type: 'string' },
        'idle-timeout': { type: 'string' },
        'remember-idle-timeout': { type: 'string' },
        'absolute-timeout': { type: 'string' },
        now: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const str = (name: string) => values[name] as string | undefined;
  const cookieNames = (values['cookie-name'] as string[] | undefined) ?? [];
  for (const name of cookieNames) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
      throw new UsageError(`--cookie-name "${name}" is not a cookie name (RFC 6265 §4.1.1 token)`);
    }
  }
  return {
    help: values.help === true,
    har: str('har'),
    cookieNames,
    secretEnv: str('secret-env'),
    secretFile: str('secret-file'),
    userAgent: str('user-agent'),
    maxTotalBytes: wholeNumber(
      'max-total-bytes',
      str('max-total-bytes'),
      DEFAULT_MAX_TOTAL_BYTES,
      1,
    ),
    idleTimeout: wholeNumber('idle-timeout', str('idle-timeout'), DEFAULT_IDLE_TIMEOUT, 1),
    absoluteTimeout: wholeNumber(
      'absolute-timeout',
      str('absolute-timeout'),
      DEFAULT_ABSOLUTE_TIMEOUT,
      1,
    ),
    rememberIdleTimeout:
      str('remember-idle-timeout') === undefined
        ? undefined
        : wholeNumber('remember-idle-timeout', str('remember-idle-timeout'), 0, 1),
    now: time(str('now')),
    json: values.json === true,
  };
}

function defaults(): InspectArgs {
  return {
    help: false,
    har: undefined,
    cookieNames: [],
    secretEnv: undefined,
    secretFile: undefined,
    userAgent: undefined,
    maxTotalBytes: DEFAULT_MAX_TOTAL_BYTES,
    idleTimeout: DEFAULT_IDLE_TIMEOUT,
    absoluteTimeout: DEFAULT_ABSOLUTE_TIMEOUT,
    rememberIdleTimeout: undefined,
    now: undefined,
    json: false,
  };
}
