import { connect } from '@rpc/msg';
import type { Endpoint } from '@rpc/loop';
import { socketPath, testPki } from '@rpc/testkit';
import { echoServer, text } from './helpers.js';

// The same conversation over each transport the Node loop offers.
async function converse(listenAt: Endpoint, connectTo: (bound: Endpoint) => Endpoint): Promise<{ secure: boolean }> {
  await using server = await echoServer(listenAt);
  await using client = await connect(connectTo(server.address as Endpoint));
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
  client.sendLater('hello');
  await client.sendNow(big);
  expect(text.decode((await client.receive()) as Uint8Array)).toBe('hello');
  expect(Buffer.compare(Buffer.from((await client.receive()) as Uint8Array), Buffer.from(big))).toBe(0);
  return { secure: client.secure };
}

describe('Msg over every transport', () => {
  it('works over a Unix socket', async () => {
    const path = socketPath();
    expect(await converse({ path }, () => ({ path }))).toEqual({ secure: false });
  });

  it('works over TLS with a certificate made for this run', async () => {
    const pki = await testPki();
    const result = await converse({ host: '127.0.0.1', port: 0, tls: { key: pki.key, cert: pki.cert } }, (bound) => ({
      ...bound,
      tls: { ca: pki.ca },
    }));
    expect(result).toEqual({ secure: true });
  });

  it('works over TLS on a Unix socket', async () => {
    const pki = await testPki();
    const path = socketPath();
    const result = await converse({ path, tls: { key: pki.key, cert: pki.cert } }, () => ({
      path,
      tls: { ca: pki.ca, servername: 'localhost' },
    }));
    expect(result).toEqual({ secure: true });
  });

  it('refuses a server whose certificate the client cannot verify', async () => {
    const pki = await testPki();
    await using server = await echoServer({ host: '127.0.0.1', port: 0, tls: { key: pki.key, cert: pki.cert } });
    await expect(connect({ ...(server.address as Endpoint), tls: { ca: pki.otherCa } })).rejects.toMatchObject({
      name: 'TransportError',
      code: 'LOOP_TLS_FAILED',
    });
  });
});
