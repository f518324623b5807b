import type { Loop } from '@rpc/loop';
import { NatsLoop } from '@rpc/loop-nats';
import { NodeLoop, nodeLoop } from '@rpc/loop-node';
import { RxLoop } from '@rpc/loop-rxjs';
import { WsLoop } from '@rpc/loop-ws';
import { natsServerUrl } from './nats-server.js';

/** A Loop adapter the suites run on, and what it can do. */
export interface Adapter {
  readonly name: string;
  /** A fresh loop of this kind. */
  loop(): Loop;
  /** Carries a byte stream (so raw sockets can speak to it, and frames can be split anywhere); false for WebSocket. */
  readonly byteStream: boolean;
  /** Listens on Unix socket paths. */
  readonly unix: boolean;
}

/** Every adapter: the Node loop, RxJS scheduling over Node's sockets, WebSocket, NATS (a local nats-server). */
export const adapters: readonly Adapter[] = [
  { name: 'node', loop: () => new NodeLoop(), byteStream: true, unix: true },
  { name: 'rxjs', loop: () => new RxLoop({ transport: nodeLoop }), byteStream: true, unix: true },
  { name: 'ws', loop: () => new WsLoop({ path: '/rpc' }), byteStream: false, unix: false },
  { name: 'nats', loop: () => new NatsLoop({ servers: natsServerUrl() }), byteStream: false, unix: false },
];

/** The adapters `describe.each` should run a suite on, picked by what the suite needs. */
export function adaptersWith(needs: { byteStream?: boolean; unix?: boolean } = {}): Adapter[] {
  return adapters.filter((a) => (!needs.byteStream || a.byteStream) && (!needs.unix || a.unix));
}
