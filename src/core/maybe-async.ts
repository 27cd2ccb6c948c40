/** A value, or a Promise of it: the engine stays synchronous until something is asynchronous. */
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/** `next(value)`, at once when `value` is ready, else once it is. */
export function then<T, U>(
  value: MaybePromise<T>,
  next: (ready: T) => MaybePromise<U>,
): MaybePromise<U> {
  return isPromise(value) ? value.then(next) : next(value);
}
