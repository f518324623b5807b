/** `using _ = disposer(() => ...)`: runs `cleanup` when the scope ends, however it ends (an assertion failing too). */
export function disposer(cleanup: () => void): Disposable {
  return { [Symbol.dispose]: cleanup };
}

/** `await using _ = asyncDisposer(async () => ...)`: awaits `cleanup` when the scope ends, however it ends. */
export function asyncDisposer(cleanup: () => Promise<unknown>): AsyncDisposable {
  return {
    [Symbol.asyncDispose]: async () => {
      await cleanup();
    },
  };
}
