import { connect, newServer } from '@rpc/msg';
import { MemoryTransport, RxLoop, runInVirtualTime } from '@rpc/loop-rxjs';
import { VirtualTimeScheduler } from 'rxjs';

const text = new TextDecoder();

describe('a Msg conversation in virtual time', () => {
  it('carries a Msg conversation over the memory transport without real waiting, the same way every run', async () => {
    const runs: string[][] = [];
    for (let run = 0; run < 3; run++) {
      const scheduler = new VirtualTimeScheduler();
      const loop = new RxLoop({ scheduler, transport: new MemoryTransport(scheduler) });
      const log: string[] = [];
      await runInVirtualTime(scheduler, async () => {
        const server = await newServer({ host: 'memory', port: 0 }, () => (conn, msg) => {
          if (msg === undefined) return;
          log.push(`server got ${text.decode(msg)} at ${loop.now()}`);
          loop.timer(250, () => conn.sendLater(`late answer to ${text.decode(msg)}`));
        }, { loop });
        const client = await connect(server.address, undefined, { loop });
        client.sendLater('one');
        client.sendLater('two');
        for (let i = 0; i < 2; i++) log.push(`client got ${text.decode((await client.receive()) as Uint8Array)} at ${loop.now()}`);
        await client.disconnect();
        await server.close();
      });
      runs.push(log);
    }
    expect(runs[0]).toEqual(['server got one at 0', 'server got two at 0', 'client got late answer to one at 250', 'client got late answer to two at 250']);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

});
