// A minimal WebSocket server (RFC 6455) for the end-to-end tests: enough to stand in for the
// console gateway in front of noVNC, which needs a real WebSocket, not a page-level mock.

import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TestConnection {
  path: string;
  send(data: Buffer): void;
  /** Sends a text frame (the gateway's JSON control frames). */
  sendText(text: string): void;
  onMessage(handler: (data: Buffer) => void): void;
  close(): void;
}

export interface TestWebSocketServer {
  url: string;
  stop(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x80 | opcode, length])
    : length < 65536 ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 255])
      : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(length)); return b; })()]);
  return Buffer.concat([header, payload]);
}

export async function startWebSocketServer(onConnection: (connection: TestConnection) => void): Promise<TestWebSocketServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((_, response) => { response.writeHead(426).end(); });
  server.on('upgrade', (request, socket: Socket) => {
    sockets.add(socket);
    const key = String(request.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    const protocol = String(request.headers['sec-websocket-protocol'] ?? '').split(',')[0].trim();
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept}`, ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : []), '', ''].join('\r\n'));
    const handlers: ((data: Buffer) => void)[] = [];
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const opcode = pending[0] & 0x0f;
        let length = pending[1] & 0x7f;
        let offset = 2;
        if (length === 126) { if (pending.length < 4) return; length = pending.readUInt16BE(2); offset = 4; }
        else if (length === 127) { if (pending.length < 10) return; length = Number(pending.readBigUInt64BE(2)); offset = 10; }
        const masked = (pending[1] & 0x80) !== 0;
        const total = offset + (masked ? 4 : 0) + length;
        if (pending.length < total) return;
        const mask = masked ? pending.subarray(offset, offset + 4) : null;
        const payload = Buffer.from(pending.subarray(total - length, total));
        if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
        pending = pending.subarray(total);
        if (opcode === 8) { socket.end(frame(8, Buffer.alloc(0))); return; }
        if (opcode === 9) { socket.write(frame(10, payload)); continue; }
        if (opcode === 1 || opcode === 2) for (const handler of handlers) handler(payload);
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    onConnection({
      path: request.url ?? '/',
      send: (data) => socket.write(frame(2, data)),
      sendText: (text) => socket.write(frame(1, Buffer.from(text, 'utf8'))),
      onMessage: (handler) => handlers.push(handler),
      close: () => socket.end(frame(8, Buffer.from([0x03, 0xe8]))),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
