// Returns memory after bursts. JavaScriptCore sizes its young generation by the heap, so at 1,000
// messages a second (10,000 cameras' keepalives arriving in a wave) it let ~25 MB of garbage pile up
// between collections, and the strings and buffers behind it (malloc'd, not in the JS heap) with it:
// RSS rose 40-50 MB above the steady state during every wave. Every half second this checks RSS; when
// it grew by `stepBytes` (1 MiB) since the last check, it asks for a collection (Bun.gc(false): an
// asynchronous collection, and mimalloc returns its free pages), at most once per `minGapMs` (5 s: a
// collection a second cost tail latency at 2,000 registrations/s). Idle or steady, it does nothing.
// Wave peak: 141-168 MB without it, 119-125 MB with no gap, 137-139 MB with the 5-s gap (README, SIP).
import type { Clock, TimerId } from "./clock.ts";
import type { Service } from "./lifecycle.ts";

export interface MemoryPacerDeps {
  clock: Clock;
  /** Resident set size in bytes (process.memoryUsage.rss in the gateway). */
  rss: () => number;
  /** Asks for a collection (Bun.gc(false) in the gateway). */
  collect: () => void;
  intervalMs?: number;
  stepBytes?: number;
  /** Least time between two collections it asks for. */
  minGapMs?: number;
}

export class MemoryPacer implements Service {
  readonly name = "memory-pacer";
  private timer: TimerId | null = null;
  private last = 0;
  private lastCollect = -Infinity;
  /** Collections asked for (metrics). */
  collections = 0;
  constructor(private readonly d: MemoryPacerDeps) {}

  start(): void {
    this.last = this.d.rss();
    this.timer = this.d.clock.setInterval(() => this.check(), this.d.intervalMs ?? 500);
  }

  stop(): void {
    if (this.timer !== null) this.d.clock.clearInterval(this.timer);
    this.timer = null;
  }

  check(): void {
    const now = this.d.rss();
    const t = this.d.clock.now();
    if (now - this.last >= (this.d.stepBytes ?? 1024 * 1024) && t - this.lastCollect >= (this.d.minGapMs ?? 5000)) {
      this.collections++;
      this.lastCollect = t;
      this.d.collect();
    }
    this.last = now;
  }
}
