// `sim.counter` (SPEC section 3): telemetry on device `sim-counter`, tag `n`, the next integer of a
// sequence that continues across restarts. The counter and its point are written in one transaction,
// so from outside anyone can check that nothing is lost: the values must arrive with no gap.
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { KV } from "../store/kv.ts";
import type { Outbox } from "../store/outbox.ts";

export const SIM_COUNTER_DEVICE = "sim-counter";

export class SimCounter {
  readonly name = "source.sim-counter";
  private timer: number | null = null;
  private carry = 0;
  private last = 0;

  constructor(private readonly d: { rateHz: number; outbox: Outbox; kv: KV; clock: Clock; log: Logger }) {}

  start(): void {
    if (this.d.rateHz <= 0) return;
    // Ticks of at most 100 ms carry as many points as the rate asks for since the last tick.
    const tickMs = Math.max(1, Math.min(100, Math.round(1000 / this.d.rateHz)));
    this.last = this.d.clock.now();
    this.timer = this.d.clock.setInterval(() => this.tick(), tickMs);
  }

  tick(): void {
    const now = this.d.clock.now();
    this.carry += ((now - this.last) / 1000) * this.d.rateHz;
    this.last = now;
    const n = Math.floor(this.carry);
    if (n <= 0) return;
    try {
      this.emit(n, now);
      this.carry -= n;
    } catch (e) {
      // Disk full or similar: the counter did not move (same transaction), so no gap; try next tick.
      this.carry = Math.min(this.carry, this.d.rateHz * 10);
      this.d.log.warn("sim counter could not write", { error: String(e) });
    }
  }

  /** Writes the next n values and the new counter in one transaction. */
  emit(n: number, ts: number): void {
    const { outbox, kv } = this.d;
    outbox.transaction(() => {
      const next = kv.getNumber("sim.counter") + 1;
      const points = Array.from({ length: n }, (_, i) => ({ tag: "n", v: next + i, ts }));
      outbox.addPoints(SIM_COUNTER_DEVICE, points, "normal", () => kv.set("sim.counter", String(next + n - 1)));
    });
  }

  stop(): void {
    if (this.timer !== null) this.d.clock.clearInterval(this.timer);
    this.timer = null;
  }
}
