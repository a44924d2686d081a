// What every transaction needs from the layer that owns it, and the RFC 3261 timer values derived from
// T1, T2 and T4 (17.1.1.2, 17.1.2.2, 17.2.1, 17.2.2; table 4 of section 21). As in sipgo's setTimers,
// changing T1 changes every timer, so tests can run whole transactions at T1 = 1 ms.
import type { Logger } from "../../core/logger.ts";
import type { Destination, SendError, Source } from "../transport/types.ts";
import type { TimerQueue } from "./timer-queue.ts";

export interface TimerConfig { t1: number; t2: number; t4: number }

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

/** Timer values in ms; the "reliable" ones are 0 over TCP (no retransmission, no linger). */
export function timerValues(t: TimerConfig, reliable: boolean) {
  return {
    /** A, E, G initial interval (UDP only). */
    retransmit: t.t1,
    /** Cap of E and G intervals. */
    t2: t.t2,
    /** B, F, H, J, L, M. */
    timeout: 64 * t.t1,
    /** D: wait for retransmitted non-2xx finals after the ACK (32 s on UDP at the default T1 = 64*T1). */
    d: reliable ? 0 : 64 * t.t1,
    /** I and K: linger to absorb retransmissions. */
    t4: reliable ? 0 : t.t4,
    /** J: linger of a non-INVITE server transaction. */
    j: reliable ? 0 : 64 * t.t1,
  };
}

export interface TxEnv {
  timers: TimerQueue;
  timerConfig: TimerConfig;
  log: Logger;
  /** Hand bytes to the transport. */
  send(dest: Destination | Source, data: Uint8Array, onError?: SendError): void;
  /** The transaction reached Terminated and must be forgotten. */
  terminated(tx: { key: string; kind: "server" | "client" }): void;
  /**
   * A non-INVITE server transaction reached Completed: from now on only its final response bytes matter
   * (to answer retransmissions until Timer J), so the layer keeps those instead of the whole transaction.
   * `end` is called when Timer J fires.
   */
  linger(key: string, bytes: Uint8Array, source: import("../transport/types.ts").Source, ms: number, end: (() => void) | null): void;
  /** A retransmission was sent (for metrics). */
  retransmitted(): void;
  /** Server header for responses, User-Agent for requests ("" = none). */
  userAgent: string;
}
