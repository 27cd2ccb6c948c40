import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedOptions } from '../options/resolved-options.js';
import type { ShrinkerRegistration } from '../shrinking/shrink-types.js';
import { commitSession } from './commit-session.js';
import { loadSession } from './load-session.js';
import { holdUntilCommitted } from './response-hooks.js';
import type { RequestSession } from './session-state.js';

/**
 * The framework-free engine: loads a request's session, and commits it to the response.
 * The Nest module and the Express middleware only adapt to it.
 */
export class SessionEngine {
  private readonly sessions = new WeakMap<IncomingMessage, RequestSession>();
  private readonly loading = new WeakMap<IncomingMessage, Promise<RequestSession>>();
  private readonly warnedFields = new Set<string>();

  constructor(readonly options: ResolvedOptions) {}

  /** Adds shrink policies (the Nest module adds those found on providers). */
  addShrinkers(shrinkers: readonly ShrinkerRegistration[]): void {
    this.options.shrinkers.push(
      ...shrinkers.map((s) => ({ key: s.key, priority: s.priority ?? 0, shrink: s.shrink })),
    );
  }

  /** The request's session, if it was loaded. */
  sessionOf(req: IncomingMessage): RequestSession | undefined {
    return this.sessions.get(req);
  }

  /**
   * Loads the session once per request, exposes it as `req.session` / `req.sessionHandle`,
   * and holds the response until it is committed. A failing store rejects
   * (`SessionStoreUnavailableError`); `onCommitFailure` answers a commit that fails later.
   */
  load(
    req: IncomingMessage,
    res: ServerResponse,
    onCommitFailure: (error: unknown) => void,
  ): Promise<RequestSession> {
    try {
      const loaded = this.loadNow(req, res, onCommitFailure);
      return loaded instanceof Promise ? loaded : Promise.resolve(loaded);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `load`, without waiting when no store has to be read: the session itself, else a Promise. */
  loadNow(
    req: IncomingMessage,
    res: ServerResponse,
    onCommitFailure: (error: unknown) => void,
  ): RequestSession | Promise<RequestSession> {
    const known = this.sessions.get(req) ?? this.loading.get(req);
    if (known) return known;
    const loaded = loadSession(this.options, req);
    if (!(loaded instanceof Promise)) return this.attach(req, res, loaded, onCommitFailure);
    const loading = loaded.then((session) => this.attach(req, res, session, onCommitFailure));
    this.loading.set(req, loading);
    return loading;
  }

  private attach(
    req: IncomingMessage,
    res: ServerResponse,
    session: RequestSession,
    onCommitFailure: (error: unknown) => void,
  ): RequestSession {
    this.sessions.set(req, session);
    const r = req as IncomingMessage & { session?: unknown; sessionHandle?: unknown };
    r.session = session.data;
    r.sessionHandle = session;
    holdUntilCommitted(res, this, req, onCommitFailure);
    return session;
  }

  /**
   * Writes the session's changes to the response (Set-Cookie, store records). Safe to call
   * more than once: later calls write only what changed since, one at a time.
   */
  commit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const session = this.sessions.get(req);
    if (!session) return Promise.resolve();
    const run = async () => {
      if (session.failed) return;
      // The response hooks commit before the headers go out; a change made after they went
      // (in a handler still running after a hand-written response) can no longer be written.
      if (res.headersSent) return;
      try {
        const lines = await commitSession(this.options, session, req, this.warnedFields);
        if (lines) this.replaceSetCookies(res, session, lines);
      } catch (error) {
        session.failed = true;
        throw error;
      }
    };
    const next = (session.committing ?? Promise.resolve()).then(run, run);
    session.committing = next;
    return next;
  }

  /** Puts this commit's lines in the Set-Cookie header, replacing earlier lines for the same cookies. */
  private replaceSetCookies(res: ServerResponse, session: RequestSession, lines: string[]): void {
    const nameOf = (line: string) => line.slice(0, line.indexOf('='));
    const renamed = new Set(lines.map(nameOf));
    const replaced = new Set(session.setCookies.filter((line) => renamed.has(nameOf(line))));
    const current = res.getHeader('set-cookie');
    const existing =
      current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
    res.setHeader('set-cookie', [...existing.filter((line) => !replaced.has(line)), ...lines]);
    session.setCookies = [...session.setCookies.filter((line) => !replaced.has(line)), ...lines];
  }
}
