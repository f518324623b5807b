// The browser entry of @rpc/loop-ws: the built-in WebSocket only, no Node built-ins.
export { BrowserWsLoop, type BrowserWsLoopOptions } from './browser-loop.js';
export { WsChannel, type WebSocketLike, type WsChannelOptions } from './ws-channel.js';
