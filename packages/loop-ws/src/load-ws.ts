import { loopError } from '@rpc/loop';
import type { WebSocket, WebSocketServer } from 'ws';

/** What WsLoop uses of the `ws` package. */
export interface WsModule {
  readonly WebSocket: typeof WebSocket;
  readonly WebSocketServer: typeof WebSocketServer;
}

const NOT_FOUND = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);
let loading: Promise<WsModule> | undefined;

/**
 * The `ws` package, loaded on first use rather than at import: it is an
 * optional peer dependency, so that @rpc/loop-ws imports without it (its
 * browser loop needs none). Missing, it is a UsageError that says how to get it.
 */
export function loadWs(): Promise<WsModule> {
  loading ??= import('ws').catch((cause: unknown) => {
    loading = undefined; // installed later, it is found on the next try
    if (!NOT_FOUND.has((cause as { code?: string }).code ?? '')) throw cause;
    const message = 'WsLoop needs the `ws` package in Node, and it is not installed: npm install ws';
    throw loopError('LOOP_WS_MISSING', message, { cause });
  });
  return loading;
}
