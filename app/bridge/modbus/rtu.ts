// Modbus RTU entry file: owns the serial line and wires it to the shared stack with the RTU framer.
// No native addon (DESIGN.md): the tty is opened with node:fs (non-blocking) and configured with
// `stty -F` (baud, parity, data/stop bits, raw). A blocking read would park a thread that nothing can
// cancel, so the line is read by polling only while a response is awaited; input that arrives while
// idle (noise, a late answer) is flushed before the next request. All units on one port share this
// line and its stack, so requests are strictly one at a time (serial line spec 2.5.1).
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import type { Clock } from "../../core/clock.ts";
import type { RtuConfigT } from "../config.ts";
import { ModbusError, rtuFramer } from "./codec.ts";
import { ModbusStack, type Link, type StackTiming } from "./stack.ts";

/** Serial line spec 2.5.1.1: 11 bits per character in RTU; t3.5 and t1.5 fixed above 19200 baud. */
export function rtuTiming(baud: number): StackTiming {
  const charMs = (11 * 1000) / baud;
  const t35 = baud > 19200 ? 1.75 : 3.5 * charMs;
  // t1.5 is under 2 ms at 9600 baud, below what a user-space reader (and a USB adapter, which hands
  // bytes over in bursts) can see; a frame is normally ended by its expected length, and this timeout
  // only catches one that stops short.
  return { silenceMs: Math.ceil(t35), interCharMs: Math.max(50, Math.ceil(15 * charMs)), charMs };
}

export function sttyArgs(c: RtuConfigT): string[] {
  return [
    "-F", c.port, String(c.baud), c.dataBits === 7 ? "cs7" : "cs8",
    c.parity === "none" ? "-parenb" : "parenb", c.parity === "odd" ? "parodd" : "-parodd",
    c.stopBits === 2 ? "cstopb" : "-cstopb",
    "raw", "-echo", "-echoe", "-echok", "-ixon", "-ixoff", "-crtscts", "clocal", "cread", "-hupcl", "min", "0", "time", "0",
  ];
}

export function describeRtu(c: RtuConfigT): string {
  return `rtu ${c.port} ${c.baud} ${c.dataBits}${c.parity[0].toUpperCase()}${c.stopBits}`;
}

class RtuLink implements Link {
  readonly describe: string;
  private fd: number | null = null;
  private poll: ReturnType<typeof setInterval> | null = null;
  private readonly chunk = Buffer.alloc(512);
  onData: (b: Uint8Array) => void = () => {};
  onClose: (reason: string) => void = () => {};
  discarded = 0;

  constructor(private readonly cfg: RtuConfigT, private readonly stty: string) { this.describe = describeRtu(cfg); }

  async open(): Promise<void> {
    if (this.fd !== null) return;
    let fd: number;
    try { fd = openSync(this.cfg.port, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK); }
    catch (e) { throw new ModbusError("connect", `${this.describe}: ${(e as Error).message}`); }
    const r = Bun.spawnSync([this.stty, ...sttyArgs(this.cfg)], { stderr: "pipe", stdout: "ignore" });
    if (r.exitCode !== 0) {
      try { closeSync(fd); } catch { /* already gone */ }
      throw new ModbusError("connect", `${this.describe}: stty failed: ${r.stderr.toString().trim()}`);
    }
    this.fd = fd;
  }

  /** Reads what is there; returns null when nothing is, throws when the device is gone. */
  private readNow(): Uint8Array | null {
    if (this.fd === null) return null;
    try {
      const n = readSync(this.fd, this.chunk, 0, this.chunk.length, null);
      return n > 0 ? this.chunk.subarray(0, n) : null;
    } catch (e: any) {
      if (e?.code === "EAGAIN" || e?.code === "EWOULDBLOCK") return null;
      throw e;
    }
  }

  write(frame: Uint8Array): void {
    if (this.fd === null) throw new ModbusError("closed", `${this.describe}: not open`);
    try {
      // Whatever arrived while nobody asked belongs to no request.
      for (let i = 0, b; i < 64 && (b = this.readNow()); i++) this.discarded += b.length;
      let off = 0;
      for (let tries = 0; off < frame.length && tries < 100; tries++) off += writeSync(this.fd, frame, off, frame.length - off);
      if (off < frame.length) throw new Error("serial output stalled");
    } catch (e) {
      const msg = (e as Error).message;
      this.reset(msg);
      throw new ModbusError("closed", `${this.describe}: ${msg}`);
    }
  }

  expect(on: boolean): void {
    if (on && !this.poll) {
      this.poll = setInterval(() => {
        try {
          for (let i = 0, b; i < 16 && (b = this.readNow()); i++) this.onData(Uint8Array.from(b));
        } catch (e) {
          const msg = (e as Error).message;
          this.reset(msg);
          this.onClose(`${this.describe}: ${msg}`);
        }
      }, 1);
    } else if (!on && this.poll) {
      clearInterval(this.poll);
      this.poll = null;
    }
  }

  reset(_reason: string): void {
    this.expect(false);
    if (this.fd !== null) { try { closeSync(this.fd); } catch { /* already closed */ } }
    this.fd = null;
  }

  close(): void { this.reset("closed"); }
}

/** An RTU line: the shared stack over one serial port. `stty` is the path of the stty binary. */
export function openRtuLine(cfg: RtuConfigT, clock: Clock, stty = "stty"): ModbusStack {
  const link = new RtuLink(cfg, stty);
  const stack = new ModbusStack(rtuFramer, link, clock, rtuTiming(cfg.baud));
  link.onData = (b) => stack.feed(b);
  link.onClose = (r) => stack.linkClosed(r);
  return stack;
}
