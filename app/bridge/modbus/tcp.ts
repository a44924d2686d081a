// Modbus TCP entry file: owns the TCP connection (connects lazily on the first request, again after a
// drop) and wires it to the shared stack with the MBAP framer. Several devices (units) behind one
// host:port share one connection and one queue, as a TCP-to-RTU gateway expects.
import { createConnection, type Socket } from "node:net";
import type { Clock } from "../../core/clock.ts";
import { ModbusError, tcpFramer } from "./codec.ts";
import { ModbusStack, type Link } from "./stack.ts";

class TcpLink implements Link {
  readonly describe: string;
  private sock: Socket | null = null;
  private connecting: Promise<void> | null = null;
  onData: (b: Uint8Array) => void = () => {};
  onClose: (reason: string) => void = () => {};

  constructor(private readonly host: string, private readonly port: number, private readonly clock: Clock) {
    this.describe = `tcp ${host}:${port}`;
  }

  open(timeoutMs: number): Promise<void> {
    if (this.sock) return Promise.resolve();
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<void>((resolve, reject) => {
      const s = createConnection({ host: this.host, port: this.port });
      s.setNoDelay(true);
      let done = false;
      const timer = this.clock.setTimeout(() => fail(`connect timeout after ${timeoutMs} ms`), timeoutMs);
      const fail = (why: string) => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        s.destroy();
        reject(new ModbusError("connect", `${this.describe}: ${why}`));
      };
      s.once("error", (e) => fail(e.message));
      s.once("connect", () => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        s.removeAllListeners("error");
        this.sock = s;
        s.on("data", (b: Buffer) => { if (this.sock === s) this.onData(new Uint8Array(b.buffer, b.byteOffset, b.length)); });
        s.on("error", () => {});                     // followed by close
        s.on("close", () => { if (this.sock === s) { this.sock = null; this.onClose("connection closed by peer"); } });
        resolve();
      });
    }).finally(() => { this.connecting = null; });
    return this.connecting;
  }

  write(frame: Uint8Array): void {
    if (!this.sock) throw new ModbusError("closed", `${this.describe}: not connected`);
    this.sock.write(frame);
  }

  reset(_reason: string): void {
    const s = this.sock;
    this.sock = null;
    s?.destroy();
  }

  close(): void { this.reset("closed"); }
}

/** A Modbus TCP line: the shared stack over one TCP connection to host:port. */
export function openTcpLine(hostPort: string, clock: Clock): ModbusStack {
  const i = hostPort.lastIndexOf(":");
  const host = hostPort.slice(0, i).replace(/^\[|\]$/g, "");
  const link = new TcpLink(host, Number(hostPort.slice(i + 1)), clock);
  const stack = new ModbusStack(tcpFramer, link, clock);
  link.onData = (b) => stack.feed(b);
  link.onClose = (r) => stack.linkClosed(r);
  return stack;
}
