// A paced work queue: runs at most `perSecond` jobs a second, in ticks of 100 ms, so that after a
// gateway restart thousands of devices are re-verified without a query storm (and queries after a
// burst of registrations are spread the same way). Jobs for the same key are not queued twice.
import type { Clock, TimerId } from "../../core/clock.ts";

const TICK_MS = 100;

export class Pacer {
  private readonly queue = new Map<string, () => void>();
  private timer: TimerId | null = null;
  private credit = 0;
  constructor(private readonly clock: Clock, private readonly perSecond: () => number) {}

  /** Queues `job` under `key` (a second push for a queued key replaces nothing). */
  push(key: string, job: () => void): void {
    if (this.queue.has(key)) return;
    this.queue.set(key, job);
    if (this.timer === null) { this.credit = Math.max(1, this.perSecond() * TICK_MS / 1000); this.timer = this.clock.setInterval(() => this.tick(), TICK_MS); this.tick(); }
  }

  get size(): number { return this.queue.size; }

  stop(): void {
    if (this.timer !== null) this.clock.clearInterval(this.timer);
    this.timer = null;
    this.queue.clear();
  }

  private tick(): void {
    // The timer stops one idle tick after the queue empties, so pushes that arrive one by one are
    // still paced (the first job of a burst runs at once, the rest at the configured rate).
    if (this.queue.size === 0) { if (this.timer !== null) this.clock.clearInterval(this.timer); this.timer = null; return; }
    let n = Math.floor(this.credit);
    this.credit -= n;
    for (const [key, job] of this.queue) {
      if (n-- <= 0) break;
      this.queue.delete(key);
      try { job(); } catch { /* a job reports its own errors */ }
    }
    const perTick = this.perSecond() * TICK_MS / 1000;
    this.credit = Math.min(this.credit + perTick, Math.max(1, perTick));
  }
}
