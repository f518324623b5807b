import * as net from 'node:net';
import { NodeLoop } from '@rpc/loop-node';
import { Server } from '@rpc/server';
import { disposableSocket } from '@rpc/testkit';
import { HealthEndpoint } from '../src/health.js';

const loop = new NodeLoop();

/** Sends `request` on a fresh connection and resolves with everything answered until the close. */
function ask(port: number, request: string | Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = disposableSocket(net.connect({ host: '127.0.0.1', port }, () => socket.write(request)));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

describe('HealthEndpoint', () => {
  it('answers any request 200 up while up, 503 draining after, and closes', async () => {
    let up = true;
    await using health = await HealthEndpoint.start(loop, { host: '127.0.0.1', port: 0 }, () => up);
    expect(await ask(health.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(
      'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nup\n',
    );
    up = false;
    const answer = await ask(health.port, 'GET / HTTP/1.0\n\n');
    expect(answer).toMatch(/^HTTP\/1\.0 503 Service Unavailable\r\n/);
    expect(answer).toMatch(/\r\n\r\ndraining\n$/);
  });

  it('reads at most 4 KiB of a request that never ends, and answers', async () => {
    await using health = await HealthEndpoint.start(loop, { host: '127.0.0.1', port: 0 }, () => true);
    expect(await ask(health.port, 'G'.repeat(64 * 1024))).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
  });

  it('answers on the server healthPort; 0 picks a free port, which the server reports', async () => {
    await using server = await new Server({ host: '127.0.0.1', port: 0, healthPort: 0, classes: {} }).start();
    expect(server.healthPort).toBeGreaterThan(0);
    expect(await ask(server.healthPort as number, 'GET /health HTTP/1.1\r\n\r\n')).toMatch(/\r\n\r\nup\n$/);
  });
});
