// The heartbeat: a critical event at least every hour in every mode — the one thing a box in survival
// still sends, and what tells the operator the box is alive. The interval follows the mode (a knob);
// a shorter interval takes effect at once, a longer one from the next beat.
import type { Clock } from "../core/clock.ts";

export class Heartbeat {
  readonly name = "energy.heartbeat";
  private timer: number | null = null;
  private intervalMs: number;
  private lastAt = 0;
  seq = 0;

  constructor(private readonly clock: Clock, private readonly send: (seq: number) => void, intervalSec = 3600) {
    this.intervalMs = Math.min(3600, intervalSec) * 1000;
  }

  /** The first beat comes one interval after start (the boot itself is told by `gateway.started`). */
  start(): void { this.lastAt = this.clock.now(); this.arm(this.intervalMs); }

  setInterval(sec: number): void {
    this.intervalMs = Math.max(1, Math.min(3600, sec)) * 1000;
    if (this.timer === null) return;         // not started: start() arms with the new interval
    this.arm(Math.max(0, this.lastAt + this.intervalMs - this.clock.now()));
  }

  get interval(): number { return this.intervalMs / 1000; }

  private arm(ms: number): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => { this.timer = null; this.beat(); }, ms);
  }

  private beat(): void {
    this.lastAt = this.clock.now();
    this.seq++;
    try { this.send(this.seq); } finally { this.arm(this.intervalMs); }
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
