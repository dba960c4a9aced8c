// A lean load generator for the timed pushes: each of N keep-alive sockets carries one request at a time (no
// pipelining), written as HTTP/1.1 bytes and answered by parsing the status line, content-length and body. On a
// 2-core machine the load generator shares the cores with the hub; node:http's client spends about three times the
// CPU per request, which the hub then does not get. Same requests, same signatures, same concurrency.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Answer } from './client.ts';
import { freshen, type Delivery } from './orders.ts';

interface Waiting {
  resolve: (a: Answer) => void;
  start: number;
}

class Connection {
  private socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: Waiting | null = null;
  private broken: Error | null = null;

  constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(head: string, body: Buffer): Promise<Answer> {
    const start = performance.now();
    if (this.broken) return Promise.resolve({ status: 0, body: Buffer.alloc(0), ms: 0, error: this.broken.message });
    return new Promise((resolve) => {
      this.waiting = { resolve, start };
      this.socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) {
      this.fail(new Error('answer without content-length'));
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buffer.length < total) return;
    const body = this.buffer.subarray(end + 4, total);
    this.buffer = this.buffer.subarray(total);
    const w = this.waiting;
    this.waiting = null;
    w.resolve({ status, body: Buffer.from(body), ms: performance.now() - w.start });
  }

  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = e;
    const w = this.waiting;
    this.waiting = null;
    w?.resolve({ status: 0, body: Buffer.alloc(0), ms: w ? performance.now() - w.start : 0, error: e.message });
  }
}

/** Pushes own-shop orders over `concurrency` raw keep-alive connections; the same `push` as HubClient's. */
export class RawPushClient {
  private readonly free: Connection[] = [];
  private readonly all: Connection[] = [];
  private readonly queue: ((c: Connection) => void)[] = [];

  constructor(port: number, concurrency: number) {
    for (let i = 0; i < concurrency; i++) {
      const c = new Connection(port);
      this.all.push(c);
      this.free.push(c);
    }
  }

  async push(accountId: string, d: Delivery, secret: string): Promise<Answer> {
    freshen(d, secret, Math.floor(Date.now() / 1000));
    const head =
      `POST /hooks/ownshop/${accountId} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${d.body.length}\r\n` +
      `x-orderhub-event-id: ${d.eventId}\r\nx-orderhub-timestamp: ${d.timestamp}\r\nx-orderhub-signature: ${d.signature}\r\n\r\n`;
    const c = this.free.pop() ?? (await new Promise<Connection>((r) => this.queue.push(r)));
    try {
      return await c.send(head, d.body);
    } finally {
      const next = this.queue.shift();
      if (next) next(c);
      else this.free.push(c);
    }
  }

  close(): void {
    for (const c of this.all) c.close();
  }
}
