// SIP over TCP (RFC 3261 18): a listener for inbound connections and on-demand outbound ones, each with
// its own framer. Responses go back on the connection the request came on (18.2.2); requests to a
// peer reuse an open connection to it. Writes honour backpressure with a bounded queue.
import type { Socket, TCPSocketListener } from "bun";
import type { Logger } from "../../core/logger.ts";
import { StreamFramer } from "./framer.ts";
import type { Source } from "./types.ts";

interface Conn {
  id: number;
  socket: Socket<Conn> | null;
  framer: StreamFramer;
  address: string;
  port: number;
  /** Bytes not yet accepted by the socket (backpressure), or waiting for connect. */
  queue: Uint8Array[];
  queued: number;
  closed: boolean;
  outbound: boolean;
}

export interface TcpOptions {
  host: string; port: number; log: Logger;
  maxMessageBytes: number; idleTimeoutSec: number; maxQueueBytes?: number;
  onData: (data: Uint8Array, src: Source) => void;
}

export class TcpTransport {
  private listener: TCPSocketListener<Conn> | null = null;
  private readonly conns = new Map<number, Conn>();
  private readonly byPeer = new Map<string, Conn>();
  private nextId = 1;
  framingErrors = 0;
  constructor(private readonly o: TcpOptions) {}

  get listening(): boolean { return this.listener !== null; }
  get port(): number { return this.listener?.port ?? 0; }
  get connections(): number { return this.conns.size; }

  private handlers() {
    const self = this;
    return {
      open(s: Socket<Conn>) {
        if (!s.data) s.data = self.register(s, s.remoteAddress, (s as any).remotePort ?? 0, false);
        else { s.data.socket = s; self.flush(s.data); }
        if (self.o.idleTimeoutSec > 0) s.timeout(self.o.idleTimeoutSec);
      },
      data(s: Socket<Conn>, chunk: Uint8Array) { self.onChunk(s.data, chunk); },
      drain(s: Socket<Conn>) { self.flush(s.data); },
      close(s: Socket<Conn>) { if (s.data) self.forget(s.data); },
      error(s: Socket<Conn>, err: Error) { self.o.log.debug("tcp connection error", { error: String(err) }); if (s.data) self.forget(s.data); },
      timeout(s: Socket<Conn>) { s.end(); },
      connectError(s: Socket<Conn>, err: Error) { self.o.log.debug("tcp connect failed", { error: String(err) }); if (s.data) self.forget(s.data); },
    };
  }

  async start(): Promise<void> {
    this.listener = Bun.listen<Conn>({ hostname: this.o.host, port: this.o.port, socket: this.handlers() });
  }

  private register(socket: Socket<Conn> | null, address: string, port: number, outbound: boolean): Conn {
    const c: Conn = { id: this.nextId++, socket, framer: new StreamFramer(this.o.maxMessageBytes), address, port, queue: [], queued: 0, closed: false, outbound };
    this.conns.set(c.id, c);
    this.byPeer.set(`${address}:${port}`, c);
    return c;
  }

  private forget(c: Conn): void {
    if (c.closed) return;
    c.closed = true;
    this.conns.delete(c.id);
    const k = `${c.address}:${c.port}`;
    if (this.byPeer.get(k) === c) this.byPeer.delete(k);
  }

  private onChunk(c: Conn, chunk: Uint8Array): void {
    const r = c.framer.push(chunk);
    for (let i = 0; i < r.pings; i++) this.write(c, PONG);
    for (const m of r.messages) {
      try { this.o.onData(m, { transport: "tcp", address: c.address, port: c.port, connId: c.id }); }
      catch (e) { this.o.log.error("sip receive handler failed", { error: String(e) }); }
    }
    if (r.error) {
      this.framingErrors++;
      this.o.log.info("closing tcp connection: framing lost", { peer: `${c.address}:${c.port}`, error: r.error });
      c.socket?.end();
      this.forget(c);
    }
  }

  /** Sends on connection `connId` if still open, else on any open connection to the peer, else connects. */
  send(data: Uint8Array, address: string, port: number, connId: number | undefined, onError?: (e: Error) => void): void {
    let c = connId !== undefined ? this.conns.get(connId) : undefined;
    c ??= this.byPeer.get(`${address}:${port}`);
    if (!c) {
      c = this.register(null, address, port, true);
      const conn = c;
      Bun.connect<Conn>({ hostname: address, port, data: conn, socket: this.handlers() }).catch((e: Error) => {
        this.forget(conn);
        onError?.(e);
      });
    }
    this.write(c, data);
  }

  private write(c: Conn, data: Uint8Array): void {
    if (c.closed) return;
    if (!c.socket || c.queue.length) { this.enqueue(c, data); return; }
    const n = c.socket.write(data);
    if (n < data.length) this.enqueue(c, data.subarray(Math.max(0, n)));
  }

  private enqueue(c: Conn, data: Uint8Array): void {
    c.queue.push(data.slice());
    c.queued += data.length;
    if (c.queued > (this.o.maxQueueBytes ?? 1 << 20)) {
      this.o.log.warn("closing tcp connection: peer not reading", { peer: `${c.address}:${c.port}` });
      c.socket?.end();
      this.forget(c);
    }
  }

  private flush(c: Conn): void {
    if (!c.socket) return;
    while (c.queue.length) {
      const d = c.queue[0];
      const n = c.socket.write(d);
      if (n < d.length) { c.queue[0] = d.subarray(Math.max(0, n)); c.queued -= Math.max(0, n); return; }
      c.queue.shift();
      c.queued -= d.length;
    }
  }

  stop(): void {
    for (const c of [...this.conns.values()]) { try { c.socket?.end(); } catch { /* gone */ } this.forget(c); }
    this.listener?.stop(true);
    this.listener = null;
  }
}

const PONG = new Uint8Array([13, 10]);
