/** Stable codes of every error this package throws. */
export type ChunkedSessionErrorCode =
  'ERR_SESSION_OPTIONS' | 'ERR_SESSION_STORE_UNAVAILABLE' | 'ERR_SESSION_STORE_ID';

/** The base of every error this package throws: a stable `code` and, where there is one, a `cause`. */
export class ChunkedSessionError extends Error {
  readonly code: ChunkedSessionErrorCode;

  constructor(code: ChunkedSessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A bad option: thrown at start-up, naming the option and the fix. */
export class ChunkedSessionOptionsError extends ChunkedSessionError {
  readonly option: string;

  constructor(option: string, problem: string, fix: string) {
    super('ERR_SESSION_OPTIONS', `nestjs-chunked-session: option \`${option}\` ${problem}. ${fix}`);
    this.option = option;
  }
}

/** A store call rejected or did not answer within `storeTimeout`. Answered with HTTP 503. */
export class SessionStoreUnavailableError extends ChunkedSessionError {
  readonly status = 503;

  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SESSION_STORE_UNAVAILABLE', message, options);
  }
}
