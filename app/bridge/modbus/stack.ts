// The request/response stack shared by Modbus TCP and RTU. As in Neuron's modbus_stack.c it never
// owns its socket: the entry file (tcp.ts, rtu.ts) owns the socket or tty, calls `feed()` with the
// bytes it reads and `linkClosed()` when it drops; the stack hands frames to `link.write()`.
// One request at a time per link: on a serial line this is what stops two units colliding
// (serial line spec 2.5.1: a master talks to one slave at a time), on TCP it is what every slave accepts.
import type { Clock } from "../../core/clock.ts";
import { maxResponseBytes, ModbusError, type Framer, type Pending } from "./codec.ts";

export interface Link {
  /** Human description, e.g. "tcp 10.0.0.5:502" or "rtu /dev/ttyS1 9600 8N1". */
  readonly describe: string;
  /** Connects / opens if needed. Rejects with ModbusError("connect"). */
  open(timeoutMs: number): Promise<void>;
  /** Sends one frame. Throws ModbusError("closed") if the link is gone. */
  write(frame: Uint8Array): void;
  /** Drops the connection so the next request starts clean (a stream out of step, a dead peer). */
  reset(reason: string): void;
  /** Serial links read only while a response is awaited. */
  expect?(on: boolean): void;
  close(): void;
}

export interface StackTiming {
  /** Quiet time between the end of one transaction and the next request (RTU t3.5). */
  silenceMs: number;
  /** A partial frame with no new byte for this long is damaged (RTU inter-character timeout). */
  interCharMs: number;
  /** Transmission time per byte, added to the timeout for long frames on slow lines. */
  charMs: number;
}

export interface StackStats { requests: number; responses: number; timeouts: number; exceptions: number; frameErrors: number; connectErrors: number }

interface Job { unit: number; pdu: Uint8Array; timeoutMs: number; resolve: (pdu: Uint8Array) => void; reject: (e: Error) => void }

export class ModbusStack {
  private readonly queue: Job[] = [];
  private busy = false;
  private closed = false;
  private tid = 0;
  private buf = new Uint8Array(0);
  private current: { job: Job; pending: Pending; finish: (r: Uint8Array | Error) => void } | null = null;
  private lastEnd = 0;
  private lastFailed = false;
  private consecutiveTimeouts = 0;
  private interTimer: number | null = null;
  readonly stats: StackStats = { requests: 0, responses: 0, timeouts: 0, exceptions: 0, frameErrors: 0, connectErrors: 0 };

  constructor(
    private readonly framer: Framer,
    readonly link: Link,
    private readonly clock: Clock,
    private readonly timing: StackTiming = { silenceMs: 0, interCharMs: 0, charMs: 0 },
  ) {}

  /** Requests waiting behind the one in progress. */
  get waiting(): number { return this.queue.length; }

  /** Sends `pdu` to `unit` and resolves with the response PDU (an exception response is a PDU too). */
  request(unit: number, pdu: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.closed) { reject(new ModbusError("closed", `${this.link.describe} is closed`)); return; }
      this.queue.push({ unit, pdu, timeoutMs, resolve, reject });
      void this.pump();
    });
  }

  /** Bytes read by the link's owner. */
  feed(chunk: Uint8Array): void {
    const cur = this.current;
    if (!cur) return;                                   // nobody asked: stray or late bytes
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    for (;;) {
      const cut = this.framer.cut(this.buf, cur.pending);
      if (cut.kind === "more") { this.armInterChar(); return; }
      this.buf = this.buf.subarray(cut.used);
      if (cut.kind === "skip") continue;
      if (cut.kind === "bad") {
        this.stats.frameErrors++;
        if (this.framer.name === "tcp") this.link.reset(cut.error.message); // the stream is out of step
        cur.finish(cut.error);
        return;
      }
      cur.finish(cut.pdu);
      return;
    }
  }

  /** The link's owner lost the connection. */
  linkClosed(reason: string): void {
    this.current?.finish(new ModbusError("closed", reason));
  }

  close(): void {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new ModbusError("closed", `${this.link.describe} closed`));
    this.current?.finish(new ModbusError("closed", "stack closed"));
    this.link.close();
  }

  private armInterChar(): void {
    if (!this.timing.interCharMs || this.buf.length === 0) return;
    if (this.interTimer !== null) this.clock.clearTimeout(this.interTimer);
    const cur = this.current;
    this.interTimer = this.clock.setTimeout(() => {
      this.interTimer = null;
      if (this.current !== cur || !cur) return;
      this.stats.frameErrors++;
      cur.finish(new ModbusError("frame", `frame stopped after ${this.buf.length} bytes`));
    }, this.timing.interCharMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.clock.setTimeout(r, ms));
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    const job = this.queue.shift();
    if (!job) return;
    this.busy = true;
    try {
      job.resolve(await this.transact(job));
      this.lastFailed = false;
    } catch (e) {
      this.lastFailed = true;
      job.reject(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.busy = false;
      this.lastEnd = this.clock.now();
      if (this.queue.length) void this.pump();
    }
  }

  private async transact(job: Job): Promise<Uint8Array> {
    // After a failed transaction a late or damaged answer may still be on the wire: wait out the
    // inter-character timeout too, so it is flushed before the next request instead of taken for its answer.
    const silence = this.lastFailed ? Math.max(this.timing.silenceMs, this.timing.interCharMs) : this.timing.silenceMs;
    const quiet = this.lastEnd + silence - this.clock.now();
    if (quiet > 0) await this.sleep(quiet);
    try { await this.link.open(job.timeoutMs); }
    catch (e) {
      this.stats.connectErrors++;
      throw e instanceof ModbusError ? e : new ModbusError("connect", String(e));
    }
    if (this.closed) throw new ModbusError("closed", "stack closed");
    this.tid = (this.tid + 1) & 0xffff;
    const pending: Pending = { tid: this.tid, unit: job.unit, fc: job.pdu[0] };
    const frame = this.framer.encode(this.tid, job.unit, job.pdu);
    this.buf = new Uint8Array(0);
    this.stats.requests++;
    const result = await new Promise<Uint8Array | Error>((settle) => {
      let timer: number | null = null;
      const finish = (r: Uint8Array | Error) => {
        if (this.current?.finish !== finish) return;
        this.current = null;
        if (timer !== null) this.clock.clearTimeout(timer);
        if (this.interTimer !== null) { this.clock.clearTimeout(this.interTimer); this.interTimer = null; }
        this.link.expect?.(false);
        settle(r);
      };
      this.current = { job, pending, finish };
      // Transmission time of request and longest response counts on slow serial lines.
      const wire = this.timing.charMs * (frame.length + maxResponseBytes(job.pdu));
      timer = this.clock.setTimeout(() => {
        this.stats.timeouts++;
        finish(new ModbusError("timeout", `no response from unit ${job.unit} within ${job.timeoutMs} ms`));
      }, job.timeoutMs + Math.ceil(wire));
      try {
        this.link.expect?.(true);
        this.link.write(frame);
      } catch (e) {
        finish(e instanceof ModbusError ? e : new ModbusError("closed", String(e)));
      }
    });
    if (result instanceof Error) {
      if (result instanceof ModbusError && result.kind === "timeout") {
        // A TCP peer that stopped answering may hold a dead connection: start over after two in a row.
        if (++this.consecutiveTimeouts >= 2 && this.framer.name === "tcp") { this.link.reset("timeouts"); this.consecutiveTimeouts = 0; }
      }
      throw result;
    }
    this.consecutiveTimeouts = 0;
    this.stats.responses++;
    if (result[0] & 0x80) this.stats.exceptions++;
    return result;
  }
}
