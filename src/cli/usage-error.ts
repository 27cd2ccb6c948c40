/** A mistake in how the inspector was called: printed with a hint, exit status 2. */
export class UsageError extends Error {}
