import { WebSocket as NodeWebSocket } from 'ws';

type Listener = (event: never) => void;

/**
 * A browser's WebSocket as far as BrowserWsLoop and WsChannel can tell: ws
 * underneath, but only the W3C members, so no pause(), no terminate(), no
 * flush callbacks and no socket to cork. Installed as globalThis.WebSocket,
 * it lets BrowserWsLoop run in Node.
 */
export class BrowserLikeWebSocket {
  /** How many were made: proof that the code under test took this one. */
  static made = 0;
  readonly #ws: NodeWebSocket;

  constructor(url: string) {
    this.#ws = new NodeWebSocket(url);
    BrowserLikeWebSocket.made++;
  }

  get readyState(): number {
    return this.#ws.readyState;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  get binaryType(): string {
    return this.#ws.binaryType;
  }

  set binaryType(type: string) {
    this.#ws.binaryType = type as NodeWebSocket['binaryType'];
  }

  /** Browsers' send() takes no callback. */
  send(data: Uint8Array): void {
    this.#ws.send(data);
  }

  close(code?: number, reason?: string): void {
    this.#ws.close(code, reason);
  }

  addEventListener(type: string, listener: Listener, options?: { once?: boolean }): void {
    this.#ws.addEventListener(type as 'message', listener as never, options);
  }
}
