/**
 * `fn()` as a promise: the promise it returns (passed through, not adopted), a plain value resolved,
 * or its throw as a rejection. An `async` wrapper does the same with one promise more and two ticks
 * of the microtask queue (with AsyncLocalStorage on, that promise's hooks too) on every call: the
 * workflow function's call and every proxied activity call go through here.
 */
export function callAsPromise<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
