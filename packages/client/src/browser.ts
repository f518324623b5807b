// The browser bundle (dist/browser/rpc-client.js): the client and the browser loop, no Node built-ins.
export * from './index.js';
export { BrowserWsLoop, type BrowserWsLoopOptions } from '@rpc/loop-ws';
