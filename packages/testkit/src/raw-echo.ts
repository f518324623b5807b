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

/** A raw client: `onMessage` per message, and what it sends in reply leaves in one write per 'data' event. */
export async function rawClient(
  port: number,
  onMessage: () => void,
): Promise<{ send(payload: Buffer): void; close(): void }> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((resolve) => socket.once('connect', resolve));
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
      const header = Buffer.allocUnsafe(4);
      header.writeUInt32BE(payload.length);
      pending.push(header, payload);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close: () => socket.destroy(),
  };
}
