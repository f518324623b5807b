import { BrowserWsLoop, WsLoop } from '@rpc/loop-ws';
import { describeChannelConformance, testPki } from '@rpc/testkit';
import { BrowserLikeWebSocket } from './browser-websocket.js';

const loop = new WsLoop({ path: '/rpc' });
const anywhere = (): { host: string; port: number } => ({ host: '127.0.0.1', port: 0 });

describeChannelConformance({ name: 'WsLoop', server: loop, listenAt: anywhere });

describeChannelConformance({
  name: 'WsLoop over TLS (wss)',
  server: loop,
  listenAt: async () => {
    const { key, cert } = await testPki();
    return { ...anywhere(), tls: { key, cert } };
  },
  reach: async (address) => ({ ...address, tls: { ca: (await testPki()).ca } }),
});

// BrowserWsLoop and the browser side of WsChannel, on a WebSocket that has only what browsers have.
describe('in a browser', () => {
  const globals = globalThis as { WebSocket?: unknown };
  const saved = globals.WebSocket;
  beforeAll(() => {
    globals.WebSocket = BrowserLikeWebSocket;
  });
  afterAll(() => {
    globals.WebSocket = saved;
    expect(BrowserLikeWebSocket.made).toBeGreaterThan(0);
  });

  describeChannelConformance({
    name: 'BrowserWsLoop',
    server: loop,
    client: new BrowserWsLoop({ path: '/rpc' }),
    listenAt: anywhere,
  });
});
