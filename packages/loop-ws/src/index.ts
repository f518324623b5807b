export { BrowserWsLoop, type BrowserWsLoopOptions } from './browser-loop.js';
export { WsChannel, type WebSocketLike, type WsChannelOptions } from './ws-channel.js';
export { WsLoop, type WsLoopOptions } from './ws-loop.js';
