import { NatsLoop } from '@rpc/loop-nats';
import { describeChannelConformance } from '@rpc/testkit';
import { type NatsServer, startNatsServer } from './nats-servers.js';

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(() => nats.kill());

// The servers are known only once nats-server has started: the loop reads them at its first listen or connect.
const loop = new NatsLoop({
  get servers() {
    return nats.url;
  },
});

describeChannelConformance({ name: 'NatsLoop', server: loop, listenAt: () => ({ host: '127.0.0.1', port: 0 }) });

describeChannelConformance({
  name: 'NatsLoop, client and server on separate NATS connections',
  server: loop,
  client: new NatsLoop({
    get servers() {
      return nats.url;
    },
  }),
  listenAt: () => ({ host: '127.0.0.1', port: 0 }),
});
