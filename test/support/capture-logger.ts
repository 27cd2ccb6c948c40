import type { LoggerService } from '@nestjs/common';

export interface LogEntry {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  /** Nest passes the logger's context (`'ChunkedSession'`) as the last parameter. */
  context: unknown;
}

/** One error as Nest's `Logger` hands it on: the message, and the logger's context. */
export interface LoggedError {
  message: string;
  context: unknown;
}

/**
 * A Nest logger for `app.useLogger()` in tests that keeps what it is given: every entry with its
 * level and context, and the warnings and errors (`fatal` counts as an error) also apart.
 */
export class CaptureLogger implements LoggerService {
  readonly entries: LogEntry[] = [];
  /** The messages of the warnings. */
  readonly warnings: string[] = [];
  /** The messages of the errors. */
  readonly errors: string[] = [];
  /** The context of each entry of `errors` (a `Logger`'s context comes last). */
  readonly errorContexts: unknown[] = [];
  /** Each entry of `errors` as one line: the message and every further parameter, joined by spaces. */
  readonly errorLines: string[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.add('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.add('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.add('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.add('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.add('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.add('fatal', message, rest);
  }

  /** The entries of one context at the given levels, without Nest's own start-up lines. */
  of(context: string, levels: LogEntry['level'][] = ['warn', 'error']): LogEntry[] {
    return this.entries.filter((e) => e.context === context && levels.includes(e.level));
  }

  /** The errors logged since the last call, with their contexts; forgets them. */
  takeErrors(): LoggedError[] {
    this.errorLines.length = 0;
    const contexts = this.errorContexts.splice(0);
    return this.errors.splice(0).map((message, i) => ({ message, context: contexts[i] }));
  }

  /** Forgets everything logged so far. */
  clear(): void {
    this.entries.length = 0;
    this.warnings.length = 0;
    this.errors.length = 0;
    this.errorContexts.length = 0;
    this.errorLines.length = 0;
  }

  private add(level: LogEntry['level'], message: unknown, rest: unknown[]): void {
    const context = rest.at(-1);
    this.entries.push({ level, message: String(message), context });
    if (level === 'warn') this.warnings.push(String(message));
    if (level === 'error' || level === 'fatal') {
      this.errors.push(String(message));
      this.errorContexts.push(context);
      this.errorLines.push([message, ...rest].map(String).join(' '));
    }
  }
}
