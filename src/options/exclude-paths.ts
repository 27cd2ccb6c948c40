import { pathToRegexp } from 'path-to-regexp';
import { fail } from './option-checks.js';

/** What `isExcluded` reads: the request-target of a Node request (Express keeps it as `originalUrl`). */
export interface RequestTarget {
  url?: string;
  originalUrl?: string;
}

/**
 * Compiles the `exclude` patterns once, at start-up, into one test of a request's path.
 * The syntax is path-to-regexp 8's, the matcher Express 5 routes with (`/health`, `/users/:id`,
 * `/assets/{*rest}`, `/docs{/*page}`), with Express's defaults: case-insensitive, and a
 * trailing slash allowed. Like Express, it matches the path as sent (percent-encoding kept),
 * without the query. `originalUrl` is read first: Express shortens `url` under a mount path.
 */
export function compileExclude(value: unknown, at: string): (req: RequestTarget) => boolean {
  if (value === undefined) return () => false;
  if (!Array.isArray(value)) {
    throw fail(
      at,
      `is ${JSON.stringify(value)}`,
      "Pass a list of paths, e.g. `['/health', '/assets/{*rest}']`.",
    );
  }
  if (value.length === 0) return () => false;
  const patterns = value.map((pattern: unknown, i) => {
    if (typeof pattern !== 'string' || !pattern.startsWith('/')) {
      throw fail(
        `${at}[${i}]`,
        `is ${JSON.stringify(pattern)}`,
        "Use a path that starts with '/', e.g. '/health' or '/assets/{*rest}'.",
      );
    }
    try {
      return pathToRegexp(pattern).regexp;
    } catch (error) {
      throw fail(
        `${at}[${i}]`,
        `is not a path pattern (${(error as Error).message})`,
        "Use Express 5 path syntax: '/health', '/users/:id', '/assets/{*rest}'.",
      );
    }
  });
  return (req) => {
    const target = req.originalUrl ?? req.url ?? '/';
    const end = target.search(/[?#]/);
    const path = end === -1 ? target : target.slice(0, end);
    return patterns.some((regexp) => regexp.test(path));
  };
}
