// Server transactions (RFC 3261 17.2): non-INVITE (17.2.2) and INVITE (17.2.1, with the Accepted state
// of RFC 6026). A retransmitted request is answered from here with the last response and never reaches
// the user again. Timers only feed events back into the state machine.
import { makeResponse, type BodyOptions } from "../message/build.ts";
import { serialize } from "../message/serialize.ts";
import type { SipRequest, SipResponse } from "../message/types.ts";
import type { Source } from "../transport/types.ts";
import { timerValues, type TxEnv } from "./common.ts";
import type { TimerHandle } from "./timer-queue.ts";
import { newTag } from "../message/build.ts";
import type { Stored } from "./arena.ts";

const EMPTY = new Uint8Array(0);

export type ServerState = "trying" | "proceeding" | "completed" | "accepted" | "confirmed" | "terminated";

/** What a request handler gets to answer with. */
export interface ServerTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly source: Source;
  readonly state: ServerState;
  /** The final response sent, once sent. */
  readonly finalResponse: SipResponse | null;
  /** The To tag this transaction puts on its responses (stable across provisional and final). */
  readonly toTag: string;
  /**
   * Builds a response from the request (Via, From, To+tag, Call-ID, CSeq copied), sends it and returns it.
   * A second final response is ignored (logged), as RFC 3261 17.2 requires.
   */
  respond(status: number, reason?: string, opts?: BodyOptions): SipResponse;
  /** Builds the response respond() would send (this transaction's To tag, Server header) without sending it. */
  response(status: number, reason?: string, opts?: BodyOptions): SipResponse;
  /** Sends a response the user built (with response() or makeResponse) and perhaps edited. */
  send(response: SipResponse): void;
  /** INVITE only: called when a matching CANCEL arrived (the engine has answered 487 already if needed). */
  onCancel(fn: () => void): void;
  /** INVITE only: the ACK for the final response (2xx or not), or null if Timer H/L expired without one. */
  onAck(fn: (ack: SipRequest | null) => void): void;
  /** Called once when the transaction terminates. */
  onTerminated(fn: () => void): void;
}

export class ServerTx implements ServerTransaction {
  state: ServerState;
  finalResponse: SipResponse | null = null;
  readonly toTag = newTag();
  readonly isInvite: boolean;
  private last: Uint8Array | null = null;
  private timer: TimerHandle | null = null;
  private timeoutTimer: TimerHandle | null = null;
  private interval = 0;
  private readonly tv;
  private cancelFns: (() => void)[] = [];
  private ackFns: ((ack: SipRequest | null) => void)[] = [];
  private termFns: (() => void)[] = [];
  private acked = false;

  constructor(readonly key: string, readonly request: SipRequest, readonly source: Source, private readonly env: TxEnv) {
    this.isInvite = request.method === "INVITE";
    this.state = this.isInvite ? "proceeding" : "trying";
    this.tv = timerValues(env.timerConfig, source.transport !== "udp");
    // RFC 3261 17.2.1: 100 Trying unless the user answers within 200 ms.
    if (this.isInvite) this.timer = env.timers.schedule(200, () => { this.timer = null; if (!this.last) this.respond(100); });
    // A user that never answers must not leak the transaction: after 64*T1 (non-INVITE; the client has
    // given up by then) or 3 minutes (INVITE, like Timer C), answer 408 ourselves.
    this.timeoutTimer = env.timers.schedule(this.isInvite ? 180_000 : this.tv.timeout, () => {
      this.timeoutTimer = null;
      if (this.finalResponse || this.state === "terminated") return;
      env.log.warn("request never answered by its handler; sending 408", { method: request.method, callId: request.headers.get("call-id") });
      this.respond(408);
    });
  }

  respond(status: number, reason?: string, opts: BodyOptions = {}): SipResponse {
    const res = this.response(status, reason, opts);
    this.send(res);
    return res;
  }

  response(status: number, reason?: string, opts: BodyOptions = {}): SipResponse {
    const res = makeResponse(this.request, status, reason, { ...opts, toTag: this.toTag });
    if (this.env.userAgent && !res.headers.has("server")) res.headers.add("Server", this.env.userAgent);
    return res;
  }

  send(res: SipResponse): void {
    if (this.finalResponse || this.state === "terminated") {
      this.env.log.warn("response after the final one ignored", { status: res.status, callId: this.request.headers.get("call-id") });
      return;
    }
    const bytes = serialize(res);
    this.last = bytes;
    this.transmit();
    if (res.status < 200) { if (this.state === "trying") this.state = "proceeding"; return; }
    this.finalResponse = res;
    this.env.timers.cancel(this.timer);
    this.timer = null;
    this.env.timers.cancel(this.timeoutTimer);
    this.timeoutTimer = null;
    if (!this.isInvite) {
      // Completed until Timer J. The layer keeps just the response bytes for retransmitted requests,
      // so thousands of lingering transactions cost a few hundred bytes each, not a parsed request.
      this.state = "completed";
      const fns = this.termFns;
      this.env.linger(this.key, bytes, this.source, this.tv.j, fns.length ? () => this.terminate() : null);
      return;
    }
    // INVITE: 2xx → Accepted (RFC 6026; 2xx retransmitted per RFC 3261 13.3.1.4 until the ACK),
    // 3xx–6xx → Completed with Timer G (UDP) and H.
    this.state = res.status < 300 ? "accepted" : "completed";
    if (res.status < 300 || this.source.transport === "udp") {
      this.interval = this.tv.retransmit;
      this.timer = this.env.timers.schedule(this.interval, () => this.retransmitFinal());
    }
    this.timeoutTimer = this.env.timers.schedule(this.tv.timeout, () => this.ackTimeout()); // Timer H / L
  }

  private transmit(): void {
    if (!this.last) return;
    this.env.send(this.source, this.last, (e) => {
      // RFC 3261 17.2.4: a transport failure terminates the transaction.
      this.env.log.debug("response send failed", { error: e.message });
      this.terminate();
    });
  }

  private retransmitFinal(): void {
    this.timer = null;
    if (this.state !== "completed" && this.state !== "accepted") return;
    this.env.retransmitted();
    this.transmit();
    this.interval = Math.min(2 * this.interval, this.tv.t2);
    this.timer = this.env.timers.schedule(this.interval, () => this.retransmitFinal());
  }

  private ackTimeout(): void {
    this.timeoutTimer = null;
    if (this.state === "completed" || (this.state === "accepted" && !this.acked)) {
      if (!this.acked) for (const f of this.ackFns) safe(() => f(null), this.env);
    }
    this.terminate();
  }

  /** The same request again (RFC 3261 17.2.1, 17.2.2): answer with the last response, if any. */
  retransmission(): void {
    if (this.state === "proceeding" || this.state === "completed" || this.state === "accepted") {
      if (this.last) { this.env.retransmitted(); this.transmit(); }
    }
  }

  /** ACK matching this INVITE transaction: same branch for non-2xx, the dialog for 2xx. */
  ack(ack: SipRequest): void {
    if (this.acked) return; // retransmitted ACK: absorbed
    if (this.state === "completed") {
      this.acked = true;
      this.state = "confirmed";
      this.env.timers.cancel(this.timer); this.timer = null;
      this.env.timers.cancel(this.timeoutTimer); this.timeoutTimer = null;
      this.timer = this.env.timers.schedule(this.tv.t4, () => this.terminate()); // Timer I
      for (const f of this.ackFns) safe(() => f(ack), this.env);
    } else if (this.state === "accepted") {
      this.acked = true;
      this.env.timers.cancel(this.timer); this.timer = null; // stop 2xx retransmission; Timer L still absorbs INVITE copies
      for (const f of this.ackFns) safe(() => f(ack), this.env);
    }
  }

  /** A CANCEL matched this INVITE (RFC 3261 9.2). Returns true if the INVITE had no final response yet. */
  cancelled(): boolean {
    if (!this.isInvite || this.finalResponse) return false;
    this.respond(487);
    for (const f of this.cancelFns) safe(f, this.env);
    return true;
  }

  onCancel(fn: () => void): void { this.cancelFns.push(fn); }
  onAck(fn: (ack: SipRequest | null) => void): void { this.ackFns.push(fn); }
  onTerminated(fn: () => void): void { this.termFns.push(fn); }

  terminate(): void {
    if (this.state === "terminated") return;
    const lingering = this.state === "completed" && !this.isInvite;
    this.state = "terminated";
    this.env.timers.cancel(this.timer); this.timer = null;
    this.env.timers.cancel(this.timeoutTimer); this.timeoutTimer = null;
    if (!lingering) this.env.terminated({ key: this.key, kind: "server" });
    for (const f of this.termFns) safe(f, this.env);
  }
}

/**
 * What remains of a non-INVITE server transaction in Completed (RFC 3261 17.2.2): the final response,
 * re-sent for each retransmitted request until Timer J.
 */
export class CompletedTx implements Stored {
  readonly isInvite = false;
  readonly request = null;
  ended = false;
  /** The response bytes: a slice of a shared chunk (see arena.ts), set by the layer. */
  chunk: Uint8Array = EMPTY;
  offset = 0;
  length = 0;
  /**
   * No timer of its own: Timer J has the same length for every UDP transaction, so the layer keeps these
   * in completion order and one timer ends them from the head of that queue (see TransactionLayer).
   */
  constructor(readonly key: string, private readonly source: Source, private readonly env: TxEnv, readonly expiresAt: number, private readonly end: (() => void) | null) {}
  retransmission(): void { this.env.retransmitted(); this.env.send(this.source, this.chunk.subarray(this.offset, this.offset + this.length)); }
  ack(_ack: SipRequest): void {}
  cancelled(): boolean { return false; }
  terminate(): void {
    if (this.ended) return;
    this.ended = true;
    this.env.terminated({ key: this.key, kind: "server" });
    if (this.end) safe(this.end, this.env);
  }
}

export function safe(fn: () => void, env: { log: { error(m: string, f?: Record<string, unknown>): void } }): void {
  try { fn(); } catch (e) { env.log.error("transaction callback failed", { error: String(e) }); }
}
