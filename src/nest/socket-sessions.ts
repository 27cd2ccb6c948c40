import type { IncomingMessage } from 'node:http';
import type { SessionEngine } from '../core/session-engine.js';
import { SocketSession } from './socket-session.js';

/**
 * The sessions of a module's WebSocket connections, one per handshake request, read on the
 * connection's first message and kept while the request (the connection) lives.
 */
class SocketSessions {
  private readonly sessions = new WeakMap<IncomingMessage, SocketSession>();
  private readonly loading = new WeakMap<IncomingMessage, Promise<SocketSession>>();

  constructor(private readonly engine: SessionEngine) {}

  /** The connection's session, loaded once (a failed read is tried again on the next message). */
  load(req: IncomingMessage): SocketSession | Promise<SocketSession> {
    const known = this.sessions.get(req) ?? this.loading.get(req);
    if (known) return known;
    const loaded = SocketSession.load(this.engine.options, this.engine.partitions, req);
    if (!(loaded instanceof Promise)) return this.attach(req, loaded);
    const loading = loaded.then(
      (session) => this.attach(req, session),
      (error: unknown) => {
        this.loading.delete(req);
        throw error;
      },
    );
    this.loading.set(req, loading);
    return loading;
  }

  sessionOf(req: IncomingMessage): SocketSession | undefined {
    return this.sessions.get(req);
  }

  /** Exposes the session on the handshake request, where `@Session()` and guards find it. */
  private attach(req: IncomingMessage, session: SocketSession): SocketSession {
    this.sessions.set(req, session);
    this.loading.delete(req);
    const r = req as IncomingMessage & { session?: unknown; sessionHandle?: unknown };
    r.session = session.data;
    r.sessionHandle = session;
    return session;
  }
}

const registries = new WeakMap<SessionEngine, SocketSessions>();

/** The socket sessions of one engine (one module). */
export function socketSessionsOf(engine: SessionEngine): SocketSessions {
  let registry = registries.get(engine);
  if (!registry) {
    registry = new SocketSessions(engine);
    registries.set(engine, registry);
  }
  return registry;
}
