// Client transactions (RFC 3261 17.1): INVITE (17.1.1, with RFC 6026 Accepted) and non-INVITE (17.1.2).
// Timer A/E retransmit over UDP (E capped at T2), B/F give up with a local 408, D/K linger to absorb
// retransmitted responses. A transport error ends the transaction with a local 503 (RFC 3261 8.1.3.1).
import { makeNon2xxAck, makeResponse } from "../message/build.ts";
import { serialize } from "../message/serialize.ts";
import type { SipRequest, SipResponse } from "../message/types.ts";
import type { Destination } from "../transport/types.ts";
import { timerValues, type TxEnv } from "./common.ts";
import { safe } from "./server.ts";
import type { TimerHandle } from "./timer-queue.ts";

export type ClientState = "calling" | "trying" | "proceeding" | "completed" | "accepted" | "terminated";

/** How a client transaction ended. */
export type Outcome = "response" | "timeout" | "transport-error";

export interface ClientTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly destination: Destination;
  readonly state: ClientState;
  /**
   * The final response. Never rejects: a timeout resolves with a local 408 (Timer B/F) and a transport
   * failure with a local 503; `outcome` tells them apart from responses that came from the network.
   */
  readonly final: Promise<SipResponse>;
  readonly outcome: Outcome | null;
  /** Provisional responses (1xx), in order. */
  onProvisional(fn: (res: SipResponse) => void): this;
  /** INVITE: further 2xx after the first (retransmissions, forks) during Timer M; the user ACKs them. */
  onExtra2xx(fn: (res: SipResponse) => void): this;
}

export class ClientTx implements ClientTransaction {
  state: ClientState;
  outcome: Outcome | null = null;
  readonly final: Promise<SipResponse>;
  private resolve!: (r: SipResponse) => void;
  private readonly isInvite: boolean;
  private readonly bytes: Uint8Array;
  private ackBytes: Uint8Array | null = null;
  private timer: TimerHandle | null = null;
  private timeoutTimer: TimerHandle | null = null;
  private interval: number;
  private readonly tv;
  private provFns: ((r: SipResponse) => void)[] = [];
  private extraFns: ((r: SipResponse) => void)[] = [];

  constructor(readonly key: string, readonly request: SipRequest, readonly destination: Destination, private readonly env: TxEnv) {
    this.isInvite = request.method === "INVITE";
    this.state = this.isInvite ? "calling" : "trying";
    this.final = new Promise((r) => { this.resolve = r; });
    this.tv = timerValues(env.timerConfig, destination.transport !== "udp");
    this.interval = this.tv.retransmit;
    this.bytes = serialize(request);
  }

  /** Sends the request and arms the timers. Called once by the layer after registering the transaction. */
  start(): void {
    this.transmit(this.bytes);
    if (this.destination.transport === "udp") this.timer = this.env.timers.schedule(this.interval, () => this.retransmit()); // A / E
    this.timeoutTimer = this.env.timers.schedule(this.tv.timeout, () => this.fail("timeout", 408)); // B / F
  }

  onProvisional(fn: (res: SipResponse) => void): this { this.provFns.push(fn); return this; }
  onExtra2xx(fn: (res: SipResponse) => void): this { this.extraFns.push(fn); return this; }

  private transmit(b: Uint8Array): void {
    this.env.send(this.destination, b, (e) => {
      this.env.log.debug("request send failed", { method: this.request.method, error: e.message });
      this.fail("transport-error", 503);
    });
  }

  private retransmit(): void {
    this.timer = null;
    if (this.state !== "calling" && this.state !== "trying" && this.state !== "proceeding") return;
    if (this.isInvite && this.state !== "calling") return; // Timer A only in Calling
    this.env.retransmitted();
    this.transmit(this.bytes);
    // E: doubles up to T2 in Trying, T2 in Proceeding (17.1.2.2); A: doubles without cap (17.1.1.2).
    this.interval = this.isInvite ? 2 * this.interval : this.state === "proceeding" ? this.tv.t2 : Math.min(2 * this.interval, this.tv.t2);
    this.timer = this.env.timers.schedule(this.interval, () => this.retransmit());
  }

  /** A response matched to this transaction by the layer. */
  receive(res: SipResponse): void {
    const s = res.status;
    switch (this.state) {
      case "calling": case "trying": case "proceeding":
        if (s < 200) {
          if (this.state !== "proceeding") {
            this.state = "proceeding";
            if (this.isInvite) {
              this.env.timers.cancel(this.timer); this.timer = null;
              this.env.timers.cancel(this.timeoutTimer);
              // Proceeding has no RFC timer on a UAC; like a proxy's Timer C (16.6), give up after 3 minutes.
              this.timeoutTimer = this.env.timers.schedule(180_000, () => this.fail("timeout", 408));
            }
          }
          for (const f of this.provFns) safe(() => f(res), this.env);
          return;
        }
        this.clearTimers();
        this.outcome = "response";
        if (!this.isInvite) {
          this.state = "completed";
          this.timer = this.env.timers.schedule(this.tv.t4, () => this.terminate()); // Timer K
        } else if (s < 300) {
          this.state = "accepted";
          this.timer = this.env.timers.schedule(this.tv.timeout, () => this.terminate()); // Timer M (RFC 6026)
        } else {
          this.state = "completed";
          this.ackBytes = serialize(makeNon2xxAck(this.request, res));
          this.transmit(this.ackBytes);
          this.timer = this.env.timers.schedule(this.tv.d, () => this.terminate()); // Timer D
        }
        this.resolve(res);
        return;
      case "completed":
        // A retransmitted final: re-send the ACK for INVITE (17.1.1.2), absorb otherwise.
        if (this.ackBytes && s >= 300) this.transmit(this.ackBytes);
        return;
      case "accepted":
        if (s >= 200 && s < 300) for (const f of this.extraFns) safe(() => f(res), this.env);
        return;
      default:
        return;
    }
  }

  private fail(outcome: Outcome, status: number): void {
    if (this.state === "terminated" || this.outcome) return;
    this.outcome = outcome;
    this.clearTimers();
    this.resolve(makeResponse(this.request, status, outcome === "timeout" ? "Request Timeout" : "Service Unavailable (transport error)"));
    this.terminate();
  }

  private clearTimers(): void {
    this.env.timers.cancel(this.timer); this.timer = null;
    this.env.timers.cancel(this.timeoutTimer); this.timeoutTimer = null;
  }

  terminate(): void {
    if (this.state === "terminated") return;
    this.clearTimers();
    this.state = "terminated";
    this.env.terminated({ key: this.key, kind: "client" });
  }
}
