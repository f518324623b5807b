import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

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

/**
 * `server` (node:net, node:tls or node:http), disposed by destroying the connections it accepted that are still open
 * and closing it: `await using raw = disposableServer(net.createServer(...))`. Node's own asyncDispose of a server
 * waits for every connection to end, and fails when the server never listened.
 */
export function disposableServer<T extends Server>(server: T): T & AsyncDisposable {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return Object.defineProperty(server, Symbol.asyncDispose, {
    value: async () => {
      await Promise.all([...sockets].map(destroySocket));
      await new Promise((resolve) => server.close(resolve)); // told an error when it was not listening: all the same
    },
    configurable: true,
  }) as T & AsyncDisposable;
}

/** Listens on `port` of 127.0.0.1 and resolves with the server, or with undefined if the port is taken. */
function bind(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: Server | undefined): Promise<void> =>
  new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));

/**
 * A port of 127.0.0.1 that was free a moment ago, and whose next port was free too: for a server with a log listener
 * (which takes port + 1), or a program that cannot be told to listen on port 0 and report it.
 */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const first = await bind(0);
    const port = (first?.address() as AddressInfo | undefined)?.port ?? 0;
    const second = port > 0 && port < 65535 ? await bind(port + 1) : undefined;
    await Promise.all([close(first), close(second)]);
    if (second !== undefined) return port;
  }
}
