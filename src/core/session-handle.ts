/** The session data as handlers see it: a mutable plain object. Augment it for typed access. */
export interface SessionData {
  // The application's own plain object, read and written without casts (as express-session's
  // `SessionData`); `unknown` would make every `req.session.cart.push(…)` a type error.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

/** Controls one request's session. `@SessionHandle()` in Nest, `req.sessionHandle` elsewhere. */
export interface SessionHandle {
  /** The same object `@Session()` and `req.session` give. */
  readonly data: SessionData;
  /** `true` when the request carried no valid session. */
  readonly isNew: boolean;
  /** Deletes every cookie of the session and every store record. Data written afterwards starts a new session. */
  destroy(): void;
  /** New ids for every store partition (old records deleted), a new creation time, data kept. Call it on login. */
  regenerate(): void;
  /** Re-writes the session on this response even if it did not change. */
  touch(): void;
  /**
   * Marks the session as remembered ("keep me signed in"), or, with `false`, clears the mark:
   * from this response on its cookies carry `Max-Age` (they survive a browser restart) and it
   * uses the `remember` lifetimes. The mark is sealed in every partition's cookie, kept through
   * `regenerate()` and cleared by `destroy()`.
   */
  remember(on?: boolean): void;
  /** Whether the session is remembered (as read, or as marked on this request). */
  readonly isRemembered: boolean;
}
