/** A shrinker's Promise that has not settled within `shrinkerTimeout` milliseconds. */
export class ShrinkerTimeoutError extends Error {
  readonly code = 'SHRINKER_TIMEOUT';

  constructor(
    readonly key: string,
    readonly timeoutMs: number,
  ) {
    super(`it did not answer within ${timeoutMs} ms (shrinkerTimeout)`);
    this.name = 'ShrinkerTimeoutError';
  }
}

/**
 * An error as a log line gives it: its stack (which starts with its name and message) where it has
 * one, else its message; a timeout says only what happened (its stack is the engine's, not the
 * shrinker's); anything thrown that is not an Error, as a string.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof ShrinkerTimeoutError) return error.message;
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** The log line for a shrinker that threw, rejected, gave a value JSON refuses, or hung. */
export function shrinkerFailureMessage(key: string, error: unknown): string {
  return `a shrinker of "${key}" failed and was skipped: ${describeFailure(error)}`;
}
