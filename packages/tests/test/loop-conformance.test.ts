import { nodeLoop } from '@rpc/loop-node';
import { RxLoop } from '@rpc/loop-rxjs';
import { WsLoop } from '@rpc/loop-ws';
import { describeChannelConformance, socketPath } from '@rpc/testkit';

// The RxJS loop over real transports: its ScheduledChannel on top of the Node loop's and WsLoop's channels.
const overNode = new RxLoop({ transport: nodeLoop });

describeChannelConformance({
  name: 'RxLoop over the Node loop (TCP)',
  server: overNode,
  listenAt: () => ({ host: '127.0.0.1', port: 0 }),
});

describeChannelConformance({
  name: 'RxLoop over the Node loop (Unix socket)',
  server: overNode,
  listenAt: () => ({ path: socketPath() }),
});

describeChannelConformance({
  name: 'RxLoop over WsLoop',
  server: new RxLoop({ transport: new WsLoop({ path: '/rpc' }) }),
  listenAt: () => ({ host: '127.0.0.1', port: 0 }),
});
