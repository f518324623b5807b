import * as net from 'node:net';

// The baseline: plain node:net with the least framing code that is still
// linear for large frames. Frames completed by one 'data' event are handled
// together, and everything they cause is written at once.

/** Splits `buffer` into whole frames (header included) and the unconsumed rest. */
function splitFrames(buffer: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let at = 0;
  while (buffer.length - at >= 4) {
    const length = buffer.readUInt32BE(at);
    if (buffer.length - at - 4 < length) break;
    frames.push(buffer.subarray(at, at + 4 + length));
    at += 4 + length;
  }
  return { frames, rest: buffer.subarray(at) };
}

/** Calls `onFrames` with the frames each chunk completes; joins partial data only once the next frame is whole. */
function onFramesOf(socket: net.Socket, onFrames: (frames: Buffer[]) => void): void {
  let parts: Buffer[] = [];
  let have = 0;
  let need = 4;
  socket.on('data', (chunk: Buffer) => {
    parts.push(chunk);
    have += chunk.length;
    if (have < need) return;
    const { frames, rest } = splitFrames(parts.length === 1 ? chunk : Buffer.concat(parts, have));
    parts = rest.length > 0 ? [rest] : [];
    have = rest.length;
    need = rest.length >= 4 ? 4 + rest.readUInt32BE(0) : 4;
    if (frames.length > 0) onFrames(frames);
  });
}

export function rawEchoServer(): Promise<net.Server> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    onFramesOf(socket, (frames) => socket.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames)));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A frame in one buffer: the 4-byte length, then the payload. */
function frameOf(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length);
  payload.copy(frame, 4);
  return frame;
}

export interface RawClient {
  send(payload: Buffer): void;
  close(): void;
}

async function openSocket(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/**
 * The baseline: nothing waits for a later turn. A message sent outside a
 * 'data' event is written at once; those sent while one is handled leave in
 * one write when it is done, as a minimal hand-written client answers.
 */
export async function rawClient(port: number, onMessage: () => void): Promise<RawClient> {
  const socket = await openSocket(port);
  let replies: Buffer[] | undefined;
  onFramesOf(socket, (frames) => {
    replies = [];
    for (let i = 0; i < frames.length; i++) onMessage();
    const out = replies;
    replies = undefined;
    if (out.length > 0) socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  });
  return {
    send(payload) {
      const frame = frameOf(payload);
      if (replies === undefined) socket.write(frame);
      else replies.push(frame);
    },
    close: () => socket.destroy(),
  };
}

/**
 * A raw client that coalesces: what it sends outside a 'data' event waits for
 * the end of the turn (setImmediate) to leave with the rest. Slower one call
 * at a time, it is reported beside the baseline, never as it.
 */
export async function coalescingRawClient(port: number, onMessage: () => void): Promise<RawClient> {
  const socket = await openSocket(port);
  let pending: Buffer[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length > 0) socket.write(Buffer.concat(pending));
    pending = [];
  };
  onFramesOf(socket, (frames) => {
    scheduled = true;
    for (let i = 0; i < frames.length; i++) onMessage();
    flush();
  });
  return {
    send(payload) {
      pending.push(frameOf(payload));
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close: () => socket.destroy(),
  };
}
