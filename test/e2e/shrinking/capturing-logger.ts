import type { LoggerService } from '@nestjs/common';

export interface LogEntry {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  /** Nest passes the logger's context (`'ChunkedSession'`) as the last parameter. */
  context: unknown;
}

/** A Nest logger that keeps what it is given, for `app.useLogger()` in tests. */
export class CapturingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];

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

  clear(): void {
    this.entries.length = 0;
  }

  private add(level: LogEntry['level'], message: unknown, rest: unknown[]): void {
    this.entries.push({ level, message: String(message), context: rest[rest.length - 1] });
  }
}
