import { Client, withCallOptions, type RemoteObject } from '@rpc/client';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { serealCodec } from '@rpc/codec-sereal';
import { Server } from '@rpc/server';
import { expectedPerlReport, runPerlClient, startPerlServer } from '../src/perl-peer.js';
import { EventRpcTest, type EventRpcTest2, perlContractClasses } from '../src/test-classes.js';
import { quiet, refusedCallsScenario } from './rpc-helpers.js';

// Interoperability with the real Event::RPC 1.10 (Debian libevent-rpc-perl), both directions, in JSON, CBOR and Sereal.
// Each format: its wire name, our codec, and the name of Event::RPC's Perl module for it.
const formats = [
  ['JSON', jsonCodec(), 'JSON'],
  ['CBOR', cborCodec(), 'CBOR'],
  ['SERL', serealCodec(), 'Sereal'],
] as const;

async function ourServer(options: Partial<ConstructorParameters<typeof Server>[0]> = {}): Promise<Server> {
  const server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, classes: perlContractClasses(), ...options });
  await server.setupListeners();
  return server;
}

describe.each(formats)('the Perl Event::RPC client against our server, in %s', (format, codec, module) => {
  it('gets from the Perl server the report recorded in expected-client.json', async () => {
    await using perl = await startPerlServer(['--formats', format]);
    expect(await runPerlClient(perl.port)).toEqual(expectedPerlReport(module));
  });

  it('gets exactly what it gets from the Perl server', async () => {
    await using server = await ourServer({ messageFormats: [codec] });
    expect(await runPerlClient(server.port)).toEqual(expectedPerlReport(module));
  });

  it('gets the Perl max packet size errors and keeps its connection', async () => {
    await using server = await ourServer({ messageFormats: [codec], maxPacketSize: 100_000 });
    expect(await runPerlClient(server.port, ['--max-packet-size', '100000'])).toEqual(
      expectedPerlReport(module, 100_000),
    );
  });

  it('takes a max packet size set while it runs, as set_max_packet_size may be called at any time', async () => {
    await using server = await ourServer({ messageFormats: [codec] });
    server.maxPacketSize = 100_000;
    expect(await runPerlClient(server.port, ['--max-packet-size', '100000'])).toEqual(
      expectedPerlReport(module, 100_000),
    );
  });
});

it('the Perl client picks CBOR from our default offer (CBOR,SERL,JSON,MSGP)', async () => {
  await using server = await ourServer();
  expect(server.messageFormats).toEqual(['CBOR', 'SERL', 'JSON', 'MSGP']);
  const report = await runPerlClient(server.port);
  expect(report.negotiation).toMatchObject({ format: 'Event::RPC::Message::CBOR' });
});

it('takes formats by their Event::RPC names, and offers them with the names Perl knows first', async () => {
  await using server = await ourServer({ messageFormats: ['MSGP', 'JSON'] });
  expect(server.messageFormats).toEqual(['JSON', 'MSGP']);
  expect(await runPerlClient(server.port)).toMatchObject({ negotiation: { format: 'Event::RPC::Message::JSON' } });
  await server.close();
  expect(() => new Server({ classes: {}, messageFormats: ['STOR' as 'JSON'] })).toThrow(
    expect.objectContaining({
      code: 'RPC_INVALID_OPTION',
      message: expect.stringContaining('Storable is not supported'),
    }),
  );
  await using perl = await startPerlServer(['--formats', 'SERL,JSON']);
  await using client = new Client({ host: '127.0.0.1', port: perl.port, messageFormats: ['SERL'] });
  await client.connect();
  expect(client.format).toBe('SERL');
});

describe.each(formats)('our client against the Perl Event::RPC server, in %s', (format) => {
  it('drives every method kind, objects both ways, singletons and client_destroy', async () => {
    await using perl = await startPerlServer(['--formats', format]);
    await using client = new Client({ host: '127.0.0.1', port: perl.port });
    await client.connect();
    expect(client.format).toBe(format);
    expect(client.pipelined).toBe(false);
    expect(client.serverVersion).toBe('1.10');

    const T = client.remoteClass<EventRpcTest, [string, string], 'singleton'>('Event_RPC_Test');
    const obj = await T.new('data', 'wire');
    expect(obj.oid).toMatch(/^Event_RPC_Test=HASH\(0x[0-9a-f]+\)$/);
    expect(await obj.get_data()).toBe('wire');
    expect(await obj.set_data('Grüße 你好 😀')).toBe('Grüße 你好 😀');
    expect(await obj.hello()).toBe('Hello, Grüße 你好 😀');
    expect(await obj.echo('Grüße', '你好世界', 7, -42, 3.25, null, [1, { a: 'b' }])).toEqual([
      'Grüße',
      '你好世界',
      7,
      -42,
      3.25,
      null,
      [1, { a: 'b' }],
    ]);
    expect(await obj.get_big_data_struct()).toEqual(new EventRpcTest().get_big_data_struct());

    const two = await obj.new_object2('obj2');
    expect(two.className).toBe('Event_RPC_Test2');
    expect(await (await obj.get_object2())?.get_data()).toBe('obj2');
    const other = await client
      .remoteClass<EventRpcTest2, [string, string]>('Event_RPC_Test2')
      .new('data', 'passed back');
    expect(await obj.set_object2(other)).toBe('passed back');
    const [list, map] = (await obj.multi(3)) as unknown as [
      Array<RemoteObject<EventRpcTest>>,
      Record<string, RemoteObject<EventRpcTest>>,
    ];
    expect(await Promise.all(list.map((o) => o.get_data()))).toEqual(['multi 1', 'multi 2', 'multi 3']);
    expect(map['3']).toBe(list[2]);
    expect(await obj.get_undef_object()).toBeNull();

    const s1 = await T.singleton();
    expect(await T.singleton()).toBe(s1);
    expect(await s1.get_data()).toBe('singleton');

    const held = (await obj.get_object_cnt()) as number;
    await other.release();
    expect(await obj.get_object_cnt()).toBe(held - 1);

    await expect(obj.die_with('boom')).rejects.toMatchObject({
      name: 'RemoteError',
      code: 'RPC_REMOTE',
      message: 'boom\n',
    });
    await expect(
      client.request({ cmd: 'exec', oid: obj.oid, method: 'not_exported', params: [] }),
    ).rejects.toMatchObject({ message: 'Illegal access to Event_RPC_Test->not_exported' });
    expect(await obj.get_data()).toBe('Grüße 你好 😀');
  });

  it('reports the Perl server over-size answer and keeps the connection', async () => {
    await using perl = await startPerlServer(['--formats', format, '--max-packet-size', '100000']);
    await using client = new Client({ host: '127.0.0.1', port: perl.port, maxPacketSize: 100_000 });
    await client.connect();
    const obj = await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'kept');
    expect(await obj.big_string(99_000)).toHaveLength(99_000);
    await expect(obj.big_string(101_000)).rejects.toMatchObject({
      name: 'RemoteError',
      code: 'RPC_REMOTE',
      message: 'Response packed exceeds limit of 100000 bytes',
    });
    expect(await obj.get_data()).toBe('kept');
  });
});

describe('our client against the Perl Event::RPC server: lifetimes and refused calls', () => {
  it('holds every hand-over of an object in one proxy and releases them all, as the Perl server counts them', async () => {
    await using perl = await startPerlServer(['--formats', 'CBOR']);
    await using client = new Client({ host: '127.0.0.1', port: perl.port });
    await client.connect();
    const obj = await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'main');
    const made = await obj.new_object2('shared');
    const again = await obj.get_object2();
    expect(again).toBe(made); // one proxy per object...
    expect(await obj.get_refcount(made.oid)).toBe(2); // ...holding both hand-overs
    const [list, hash] = await withCallOptions(obj, { list: true }).multi(2);
    expect(await obj.get_refcount(list[0]?.oid ?? '')).toBe(2);
    expect(hash['1']).toBe(list[0]);

    const inList = withCallOptions(obj, { list: true });
    expect([await inList.echo(1, 2), await inList.echo([1, 2]), await inList.echo(), await inList.get_data()]).toEqual([
      [1, 2],
      [[1, 2]],
      [],
      ['main'],
    ]);
    expect([await obj.echo(1, 2), await obj.echo([1, 2]), await obj.echo()]).toEqual([[1, 2], [1, 2], undefined]); // the convenient default

    await made.release();
    expect(await obj.get_refcount(made.oid)).toBe(0);
    await expect(client.request({ cmd: 'exec', oid: made.oid, method: 'get_data', params: [] })).rejects.toMatchObject({
      message: expect.stringContaining('Illegal access to unknown object'),
    });
    const single = await client.remoteClass<EventRpcTest, [], 'singleton'>('Event_RPC_Test').singleton();
    await single.release();
    expect((await client.request({ cmd: 'exec', oid: single.oid, method: 'get_data', params: [] })).rc).toEqual([
      'singleton',
    ]);
  });

  it('offers no capabilities, and chains on object calls by waiting for each object (no pipelining)', async () => {
    await using perl = await startPerlServer(['--formats', 'CBOR']);
    await using client = await new Client({ host: '127.0.0.1', port: perl.port }).connect();
    expect(client.pipelined).toBe(false);
    const Test = client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test');
    expect(await Test.new('data', 'chained').new_object2('second').get_data()).toBe('second');
    const obj = await Test.new('data', 'main');
    const pending = obj.new_object2('not yet');
    await expect(obj.set_object2(pending)).rejects.toMatchObject({ code: 'RPC_INVALID_OPTION' });
    expect(await obj.set_object2(await pending)).toBe('not yet');
    await expect(obj.echo(() => 1)).rejects.toMatchObject({ code: 'CODEC_UNENCODABLE' });
    expect(client.references).toEqual({ exports: 0, imports: 0 });
  });

  it('rejects a call refused on this side alone, in order as Perl needs: the next 100 calls are all answered', async () => {
    const limit = 100_000;
    await using perl = await startPerlServer(['--formats', 'CBOR', '--max-packet-size', String(limit)]);
    await using client = new Client({ host: '127.0.0.1', port: perl.port, maxPacketSize: limit });
    await client.connect();
    expect(client.pipelined).toBe(false);
    const obj = await client.remoteClass<EventRpcTest, [string, string]>('Event_RPC_Test').new('data', 'kept');
    await refusedCallsScenario(obj, limit, (signal) => withCallOptions(obj, { signal }));
    expect(await obj.get_data()).toBe('kept');
  });
});
