// Honest device liveness (SPEC section 5, the "fake online" fix). Pure state on the injected Clock:
//   online  ⇔  registration unexpired  AND  heard within keepaliveInterval × keepaliveTimeoutCount.
// Only something heard from the device (REGISTER, keepalive, a message, an answer to our query) can
// make it online; expiry, unregistering, BYE and 408/481 to our requests take it offline at once, and
// the window closing takes it offline on the next sweep. One periodic sweep over the online devices
// (not a timer per device) finds closed windows: with SWEEP_MS = 250 an offline is reported between
// 0 and ~250 ms after its window closes (plus event-loop delay), never before, since the test is
// `now >= deadline`. 10,000 devices cost 40,000 comparisons a second.
import type { Clock, TimerId } from "../../core/clock.ts";

export const SWEEP_MS = 250;

export type LiveState = "online" | "offline";
export type OnlineReason = "registered" | "keepalive" | "message" | "answered";
export type OfflineReason =
  | "expired"            // registration ran out
  | "unregistered"       // REGISTER with Expires: 0
  | "bye"                // the device sent BYE
  | "timeout"            // 408 (or no answer) to a request we sent it
  | "no-transaction"     // 481 to a request we sent it
  | "keepalive-timeout"  // not heard within the window
  | "gateway-restart"    // state from before a restart, not yet re-verified
  | "removed";           // binding dropped by an operator
export type Reason = OnlineReason | OfflineReason;

export interface Transition { device: string; state: LiveState; reason: Reason; ts: number; previous: LiveState; lastHeard: number; registeredUntil: number }

export interface LiveEntry {
  id: string;
  state: LiveState;
  reason: Reason;
  /** When the current state began. */
  since: number;
  /** Registration expiry (ms since epoch); 0 when not registered. */
  registeredUntil: number;
  /** Last time anything was heard from the device; 0 when never (since this process started). */
  lastHeard: number;
}

export interface LivenessDeps {
  clock: Clock;
  /** keepaliveInterval × keepaliveTimeoutCount in ms, read at each use so config changes apply at once. */
  windowMs: () => number;
  onTransition: (t: Transition) => void;
}

export class Liveness {
  private readonly entries = new Map<string, LiveEntry>();
  private readonly online = new Set<LiveEntry>();
  private timer: TimerId | null = null;
  constructor(private readonly d: LivenessDeps) {}

  start(): void { if (this.timer === null) this.timer = this.d.clock.setInterval(() => this.sweep(), SWEEP_MS); }
  stop(): void { if (this.timer !== null) { this.d.clock.clearInterval(this.timer); this.timer = null; } }

  get(id: string): LiveEntry | undefined { return this.entries.get(id); }
  all(): IterableIterator<LiveEntry> { return this.entries.values(); }
  get size(): number { return this.entries.size; }
  get onlineCount(): number { return this.online.size; }

  /**
   * State kept from before a restart. Nothing is assumed: the device starts offline and must be heard
   * again. A device that was online gets an offline transition ("gateway-restart") so the cloud knows.
   */
  restore(id: string, registeredUntil: number, lastHeard: number, wasOnline: boolean): void {
    const e: LiveEntry = { id, state: "offline", reason: "gateway-restart", since: this.d.clock.now(), registeredUntil, lastHeard };
    this.entries.set(id, e);
    if (wasOnline) this.emit(e, "online");
  }

  /** A (re-)REGISTER accepted until expiresAt. A REGISTER is also hearing from the device. */
  registered(id: string, expiresAt: number): void {
    const e = this.entry(id);
    e.registeredUntil = expiresAt;
    this.heardEntry(e, "registered");
  }

  /** Anything received from the device. Returns false when the device is not known (never registered). */
  heard(id: string, how: OnlineReason): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    this.heardEntry(e, how);
    return true;
  }

  /** Whether the device holds an unexpired registration now. */
  isRegistered(id: string): boolean {
    const e = this.entries.get(id);
    return !!e && e.registeredUntil > this.d.clock.now();
  }

  unregistered(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.registeredUntil = 0;
    this.goOffline(e, "unregistered");
  }

  /** BYE from the device, or a 408/481 to our request: offline at once, registration kept. */
  lost(id: string, reason: "bye" | "timeout" | "no-transaction"): void {
    const e = this.entries.get(id);
    if (e) this.goOffline(e, reason);
  }

  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.goOffline(e, "removed");
    this.entries.delete(id);
  }

  /** Offline for every online device whose registration expired or whose window closed. */
  sweep(): void {
    const now = this.d.clock.now();
    const win = this.d.windowMs();
    for (const e of this.online) {
      if (now >= e.registeredUntil) this.goOffline(e, "expired");
      else if (now >= e.lastHeard + win) this.goOffline(e, "keepalive-timeout");
    }
  }

  /** When the device will go offline unless heard (or registered) again; null when offline. */
  deadline(id: string): number | null {
    const e = this.entries.get(id);
    if (!e || e.state !== "online") return null;
    return Math.min(e.registeredUntil, e.lastHeard + this.d.windowMs());
  }

  private entry(id: string): LiveEntry {
    let e = this.entries.get(id);
    if (!e) {
      e = { id, state: "offline", reason: "unregistered", since: this.d.clock.now(), registeredUntil: 0, lastHeard: 0 };
      this.entries.set(id, e);
    }
    return e;
  }

  private heardEntry(e: LiveEntry, how: OnlineReason): void {
    const now = this.d.clock.now();
    e.lastHeard = now;
    if (e.state === "online" || e.registeredUntil <= now) return;
    const prev = e.state;
    e.state = "online"; e.reason = how; e.since = now;
    this.online.add(e);
    this.emit(e, prev);
  }

  private goOffline(e: LiveEntry, reason: OfflineReason): void {
    if (e.state === "offline") {
      // No transition, but keep the most telling reason for the API (e.g. "timeout" after "gateway-restart").
      if (reason === "unregistered" || reason === "removed" || (e.reason !== "unregistered" && e.reason !== "removed" && e.reason !== "expired")) e.reason = reason;
      return;
    }
    e.state = "offline"; e.reason = reason; e.since = this.d.clock.now();
    this.online.delete(e);
    this.emit(e, "online");
  }

  private emit(e: LiveEntry, previous: LiveState): void {
    this.d.onTransition({ device: e.id, state: e.state, reason: e.reason, ts: e.since, previous, lastHeard: e.lastHeard, registeredUntil: e.registeredUntil });
  }
}
