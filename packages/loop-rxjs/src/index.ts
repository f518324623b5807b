export { MemoryTransport } from './memory-transport.js';
export { fromRpcEvent, io, messagesOf, type EventKeeper, type EventTarget } from './observables.js';
export { RxLoop, type RxLoopOptions, type Transport } from './rx-loop.js';
export { ScheduledChannel } from './scheduled-channel.js';
export { runInVirtualTime, type VirtualTimeOptions } from './virtual-time.js';
