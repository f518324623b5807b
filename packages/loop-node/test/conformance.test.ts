import { NodeLoop } from '@rpc/loop-node';
import { describeChannelConformance, socketPath, testPki } from '@rpc/testkit';

const loop = new NodeLoop();

describeChannelConformance({
  name: 'NodeLoop over TCP',
  server: loop,
  listenAt: () => ({ host: '127.0.0.1', port: 0 }),
});

describeChannelConformance({
  name: 'NodeLoop over a Unix socket',
  server: loop,
  listenAt: () => ({ path: socketPath() }),
});

describeChannelConformance({
  name: 'NodeLoop over TLS',
  server: loop,
  listenAt: async () => {
    const { key, cert } = await testPki();
    return { host: '127.0.0.1', port: 0, tls: { key, cert } };
  },
  reach: async (address) => ({ ...address, tls: { ca: (await testPki()).ca } }),
});
