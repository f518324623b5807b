import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { Client, crypt, type ClientOptions } from '@rpc/client';
import type { Logger } from '@rpc/core';
import { Server, type ServerOptions } from '@rpc/server';
import { destroySocket, testPkiFiles, waitFor, type TestPkiFiles } from '@rpc/testkit';
import type { ChildServer } from '../src/child-server.js';
import { runPerlSecureClient, startPerlServer } from '../src/perl-peer.js';
import { perlContractClasses, type EventRpcTest } from '../src/test-classes.js';
import { startServer } from './rpc-helpers.js';

// TLS between every pair of peers: our client and server, the Perl Event::RPC client and server.
// The certificates are made for this run (testkit); the server's key is encrypted (sslPasswdCb).
let pki: TestPkiFiles;
beforeAll(async () => {
  pki = await testPkiFiles();
});

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, minLevel: 2, log: (_level, message) => void lines.push(message) };
}

/** Our server over TLS, listening; `await using` closes it. */
async function ourTlsServer(
  options: Partial<ServerOptions> = {},
): Promise<{ server: Server; logger: ReturnType<typeof recorder> } & AsyncDisposable> {
  const logger = recorder();
  const server = await startServer(
    (port) =>
      new Server({
        host: '127.0.0.1',
        port,
        logger,
        classes: perlContractClasses(),
        ssl: true,
        sslKeyFile: pki.encryptedKeyFile,
        sslCertFile: pki.certFile,
        sslPasswdCb: async () => pki.passphrase,
        ...options,
      }),
  );
  return { server, logger, [Symbol.asyncDispose]: () => server.close() };
}

/** Connects with `tls`, makes an object and reads it back; the outcome, or the error that stopped it. */
async function ourClient(
  port: number,
  tls: Partial<ClientOptions>,
): Promise<{ data?: unknown; error?: unknown; warnings: string[] }> {
  const logger = recorder();
  await using client = new Client({ host: '127.0.0.1', port, ssl: true, logger, ...tls });
  try {
    await client.connect();
    const obj = await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'secure');
    const data = await obj.get_data();
    await client.close();
    return { data, warnings: logger.lines };
  } catch (error) {
    return { error, warnings: logger.lines };
  }
}

const notSigned = expect.objectContaining({
  name: 'TransportError',
  code: 'LOOP_TLS_FAILED',
  message: expect.stringContaining('the certificate is not signed by a trusted CA'),
});

describe('our client and our server over TLS', () => {
  let server: Server;
  beforeAll(async () => ({ server } = await ourTlsServer()));
  afterAll(() => server?.close());

  it('connects when the server is verified against the CA file or CA directory', async () => {
    expect(await ourClient(server.port, { sslCaFile: pki.caFile })).toEqual({ data: 'secure', warnings: [] });
    expect(await ourClient(server.port, { sslCaPath: pki.caDir })).toEqual({ data: 'secure', warnings: [] });
  });

  it('refuses a server certificate not signed by the given CA, saying which check failed', async () => {
    expect(await ourClient(server.port, { sslCaFile: pki.otherCaFile })).toEqual({ error: notSigned, warnings: [] });
  });

  it('verifies even without a CA given (against the system CAs), and refuses', async () => {
    expect(await ourClient(server.port, {})).toEqual({ error: notSigned, warnings: [] });
  });

  it('checks the name to verify', async () => {
    const outcome = await ourClient(server.port, {
      sslCaFile: pki.caFile,
      sslOpts: { servername: 'elsewhere.example' },
    });
    expect(outcome.error).toMatchObject({
      code: 'LOOP_TLS_FAILED',
      message: expect.stringContaining('the certificate does not name this host'),
    });
  });

  it('passes sslOpts through to node:tls on both sides', async () => {
    await using tls13 = await ourTlsServer({ sslOpts: { minVersion: 'TLSv1.3' } });
    const strict = tls13.server;
    const outcome = await ourClient(strict.port, { sslCaFile: pki.caFile, sslOpts: { maxVersion: 'TLSv1.2' } });
    expect(outcome.error).toMatchObject({ name: 'TransportError', code: 'LOOP_TLS_FAILED' });
    expect(await ourClient(strict.port, { sslCaFile: pki.caFile, sslOpts: { minVersion: 'TLSv1.3' } })).toEqual({
      data: 'secure',
      warnings: [],
    });
  });

  it('takes the key passphrase from a synchronous sslPasswdCb too', async () => {
    await using synchronous = await ourTlsServer({ sslPasswdCb: () => pki.passphrase });
    const sync = synchronous.server;
    expect(await ourClient(sync.port, { sslCaFile: pki.caFile })).toEqual({ data: 'secure', warnings: [] });
  });

  it('connects with verification explicitly off, and logs a warning', async () => {
    const outcome = await ourClient(server.port, { sslOpts: { rejectUnauthorized: false } });
    expect(outcome.data).toBe('secure');
    expect(outcome.warnings).toEqual([expect.stringMatching(/^WARNING: TLS verification is off for 127\.0\.0\.1:\d+/)]);
  });
});

describe('the Perl Event::RPC client and our TLS server', () => {
  let server: Server;
  beforeAll(async () => ({ server } = await ourTlsServer()));
  afterAll(() => server?.close());

  it('connects when it verifies against our CA', async () => {
    expect(await runPerlSecureClient(server.port, ['--ssl', '--ca-file', pki.caFile])).toEqual({
      data: 'secure',
      format: 'Event::RPC::Message::CBOR',
    });
  });

  it('refuses us when given another CA, or verifying without one', async () => {
    for (const args of [['--ca-file', pki.otherCaFile], ['--verify']]) {
      const outcome = await runPerlSecureClient(server.port, ['--ssl', ...args]);
      expect(outcome.error).toMatch(/^Can't open SSL connection to 127\.0\.0\.1:\d+: .*certificate verify failed/);
    }
  });

  it('connects without verification, as Event::RPC does by default', async () => {
    expect(await runPerlSecureClient(server.port, ['--ssl'])).toEqual({
      data: 'secure',
      format: 'Event::RPC::Message::CBOR',
    });
  });
});

describe('our client and the Perl Event::RPC TLS server', () => {
  let perl: ChildServer;
  beforeAll(async () => {
    perl = await startPerlServer([
      '--ssl-key',
      pki.encryptedKeyFile,
      '--ssl-cert',
      pki.certFile,
      '--ssl-passwd',
      pki.passphrase,
    ]);
  });
  afterAll(() => perl?.close());

  it('connects when the Perl server is verified against the CA', async () => {
    expect(await ourClient(perl.port, { sslCaFile: pki.caFile })).toEqual({ data: 'secure', warnings: [] });
  });

  it('refuses the Perl server under another CA or the system CAs', async () => {
    expect(await ourClient(perl.port, { sslCaFile: pki.otherCaFile })).toEqual({ error: notSigned, warnings: [] });
    expect(await ourClient(perl.port, {})).toEqual({ error: notSigned, warnings: [] });
  });

  it('connects with verification off, and warns', async () => {
    const outcome = await ourClient(perl.port, { sslOpts: { rejectUnauthorized: false } });
    expect(outcome.data).toBe('secure');
    expect(outcome.warnings).toHaveLength(1);
  });
});

describe('the log listener behind TLS and a login', () => {
  it('streams the log only to clients that verify the server and log in', async () => {
    await using secured = await ourTlsServer({
      authRequired: true,
      authPasswdHref: { fred: crypt('fred', 's3cret') },
      startLogListener: true,
      logListenerSsl: true,
      logListenerAuth: true,
    });
    const { server, logger } = secured;
    expect(logger.lines).toContain(`Started log listener on 127.0.0.1:${server.port + 1} (TLS), login required`);
    expect(logger.lines.join('\n')).not.toContain('WARNING');
    const ca = pki.caFile;
    const open = (): Promise<
      { socket: tls.TLSSocket; text: () => string; closed: Promise<unknown> } & AsyncDisposable
    > =>
      new Promise((resolve, reject) => {
        let text = '';
        const socket = tls.connect({ host: '127.0.0.1', port: server.port + 1, ca: readFileSync(ca, 'utf8') }, () =>
          resolve({ socket, text: () => text, closed, [Symbol.asyncDispose]: () => destroySocket(socket) }),
        );
        const closed = new Promise((r) => socket.once('close', r));
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.once('error', reject);
      });

    await using stranger = await open();
    stranger.socket.write('AUTH fred wrong\n');
    await waitFor(() => stranger.text() === 'Illegal credentials\n', 'the refusal');
    await stranger.closed;

    await using fred = await open();
    server.log('before login: not for anyone');
    fred.socket.write('AUTH fred s3cret\n');
    await waitFor(() => server.logClientsConnected === 1, 'the log client');
    server.log('after login');
    await waitFor(() => fred.text().includes('[1] after login'), 'the log line');
    expect(fred.text().startsWith('OK\n')).toBe(true);
    expect(fred.text()).not.toContain('before login');
  });
});
