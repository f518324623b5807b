import { MemoryTransport, RxLoop } from '@rpc/loop-rxjs';
import { describeChannelConformance } from '@rpc/testkit';

const memory = new MemoryTransport();

describeChannelConformance({ name: 'MemoryTransport', server: memory, listenAt: () => ({ host: 'memory', port: 0 }) });

describeChannelConformance({
  name: 'RxLoop over MemoryTransport',
  server: new RxLoop({ transport: memory }),
  listenAt: () => ({ host: 'memory', port: 0 }),
});
