import { SessionStoreUnavailableError } from '../errors/errors.js';

/**
 * Runs one store call, bounded by `timeoutMs`. A rejection or a time-out becomes
 * `SessionStoreUnavailableError` with the store's error as `cause`.
 */
export async function callStore<T>(
  what: string,
  timeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${timeoutMs} ms (storeTimeout)`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(call), timeout]);
  } catch (cause) {
    // Not `instanceof Error`: an error from another realm (a VM context, a worker) fails that test.
    const message = (cause as { message?: unknown } | null)?.message;
    const reason = typeof message === 'string' ? message : String(cause);
    throw new SessionStoreUnavailableError(`Session store unavailable: ${what} failed: ${reason}`, {
      cause,
    });
  } finally {
    clearTimeout(timer);
  }
}
