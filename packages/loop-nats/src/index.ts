export { NATS_ERRORS, natsError, type NatsErrorCode } from './errors.js';
export { NatsChannel, type NatsChannelOptions, type SessionLink, type SessionPeer } from './nats-channel.js';
export { NatsLoop, type NatsListener, type NatsLoopOptions } from './nats-loop.js';
export { ReceiveWindow, type Arrival } from './receive-window.js';
export { type Outgoing, SendWindow, type SentMessage } from './send-window.js';
