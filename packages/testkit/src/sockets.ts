import type { Socket } from 'node:net';

/** Destroys `socket` and resolves once it has closed, whatever it failed with before. */
export function destroySocket(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

/**
 * `socket` (node:net or node:tls), disposed by destroying it and waiting for its close: `await using raw =
 * disposableSocket(net.connect(port))` closes it even when an assertion fails. Unlike Node's own asyncDispose of
 * streams, an error the socket already failed with (a reset, a refusal) is not raised again when it is disposed.
 */
export function disposableSocket<T extends Socket>(socket: T): T & AsyncDisposable {
  socket.on('error', () => undefined); // the test reads failures from its own listeners; none is thrown at dispose
  return Object.defineProperty(socket, Symbol.asyncDispose, {
    value: () => destroySocket(socket),
    configurable: true,
  }) as T & AsyncDisposable;
}
