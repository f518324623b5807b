import { Client, type ClientOptions } from '@rpc/client';
import { Server, type ServerOptions } from '@rpc/server';
import { testClasses } from '../src/test-classes.js';

export const quiet = { log: (): void => undefined };

/** A server on 127.0.0.1 exporting the contract classes, and a connected client; close() ends both. */
export async function pair(serverOptions: Partial<ServerOptions> = {}, clientOptions: Partial<ClientOptions> = {}) {
  const server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, classes: testClasses, ...serverOptions });
  await server.setupListeners();
  const client = new Client({ host: '127.0.0.1', port: server.port, ...clientOptions });
  await client.connect();
  return {
    server,
    client,
    close: async () => {
      await client.disconnect();
      await server.stop();
    },
  };
}
