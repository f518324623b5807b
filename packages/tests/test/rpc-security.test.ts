import { Client, type RemoteObject, type Request } from '@rpc/client';
import { Server } from '@rpc/server';
import { disposableSocket } from '@rpc/testkit';
import { type EventRpcTest, testClasses } from '../src/test-classes.js';
import { pair, quiet } from './rpc-helpers.js';

// Only what `classes` lists is reachable; every refusal is a clear error and the server keeps serving.
describe('security', () => {
  it('refuses methods that are not listed, and everything every object inherits', async () => {
    await using p = await pair();
    const { client } = p;
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'safe' });
    for (const method of [
      'wait_for_nothing',
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '__defineGetter__',
      'then',
      'prototype',
    ]) {
      await expect(client.request({ cmd: 'exec', oid: obj.oid, method, params: [] })).rejects.toMatchObject({
        name: 'RemoteError',
        message: `Illegal access to Event_RPC_Test->${method}`,
      });
    }
    // The proxy itself offers only the exported methods.
    const proxy = obj as unknown as Record<string, unknown>;
    expect([proxy.toString, proxy.constructor, proxy.then, proxy.__proto__]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(await obj.get_data()).toBe('safe');
  });

  it('refuses constructors that are not listed as such, and classes that are not exported', async () => {
    await using p = await pair();
    const { client } = p;
    for (const method of [
      'Event_RPC_Test::get_data',
      'Event_RPC_Test::constructor',
      'Event_RPC_Test::__proto__',
      'Object::new',
      'Function::constructor',
      'new',
    ]) {
      const [cls, name] = method.includes('::') ? method.split('::') : ['', method];
      await expect(client.request({ cmd: 'new', method, params: [] })).rejects.toMatchObject({
        message: `Illegal constructor access to ${cls}->${name}`,
      });
    }
    await expect(client.request({ cmd: 'class_info', class: 'Object' })).rejects.toMatchObject({
      message: "Unknown class 'Object'",
    });
    await expect(client.request({ cmd: 'nonsense' } as unknown as Request)).rejects.toMatchObject({
      message: "Unknown request command 'nonsense'",
    });
  });

  it("keeps each connection's objects to itself and refuses forged ids", async () => {
    await using p = await pair();
    const { server, client } = p;
    await using thief = new Client({ host: '127.0.0.1', port: server.port });
    await thief.connect();
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'mine' });
    for (const oid of [
      obj.oid,
      'Event_RPC_Test=OBJ(00000000000000000000000000000000)',
      'Event_RPC_Test=HASH(0x5586564666f8)',
      obj.oid.replace(/.$/, '0'),
      '',
    ]) {
      await expect(thief.request({ cmd: 'exec', oid, method: 'get_data', params: [] })).rejects.toMatchObject({
        message: `Illegal access to unknown object with oid=${oid}`,
      });
    }
    // Passing someone else's object as a parameter is refused too.
    const stolen = {
      cmd: 'exec' as const,
      oid: (await thief.remoteClass<EventRpcTest>('Event_RPC_Test').new({})).oid,
      method: 'set_object2',
    };
    const { TaggedValue } = await import('@rpc/codec');
    await expect(
      thief.request({ ...stolen, params: [new TaggedValue('Event_RPC_Test2', [['SCALAR', obj.oid]])] }),
    ).rejects.toMatchObject({
      message: `Illegal access to unknown object with oid=${obj.oid}`,
    });
    expect(await obj.get_data()).toBe('mine');
  });

  it('makes ids that cannot be guessed, in the Class=... form Perl clients read', async () => {
    await using p = await pair();
    const { client } = p;
    const T = client.remoteClass<EventRpcTest>('Event_RPC_Test');
    const ids = await Promise.all(
      Array.from({ length: 50 }, () => T.new({}).then((o: RemoteObject<EventRpcTest>) => o.oid)),
    );
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^Event_RPC_Test=OBJ\([0-9a-f]{32}\)$/);
  });

  it('refuses, at construction, class maps that list what must never be reachable', () => {
    class Sneaky {
      get secret(): string {
        return 'x';
      }
      open(): string {
        return 'ok';
      }
    }
    const make = (methods: Record<string, 1 | '_constructor'>) => () =>
      new Server({ logger: quiet, classes: { Sneaky: { impl: Sneaky, methods } } });
    expect(make({ open: 1, new: '_constructor' })).not.toThrow();
    for (const name of ['constructor', '__proto__', 'secret', 'toString', 'missing']) {
      expect(make({ [name]: 1 as const })).toThrow(
        expect.objectContaining({ name: 'UsageError', code: 'RPC_INVALID_OPTION' }),
      );
    }
    expect(make({ toString: '_constructor' as const })).toThrow(
      expect.objectContaining({ code: 'RPC_INVALID_OPTION' }),
    );
  });

  it('keeps serving other clients while one sends garbage', async () => {
    await using p = await pair({ classes: testClasses });
    const { server, client } = p;
    const net = await import('node:net');
    await using raw = disposableSocket(net.connect(server.port, '127.0.0.1'));
    await new Promise((r) => raw.once('connect', r));
    raw.write(Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0, 3, 0xff, 0xfe, 0xfd]));
    const obj = await client.remoteClass<EventRpcTest>('Event_RPC_Test').new({ data: 'fine' });
    expect(await obj.get_data()).toBe('fine');
  });
});
