// Returns memory after bursts. JavaScriptCore sizes its young generation by the heap, so at 1,000
// messages a second (10,000 cameras' keepalives arriving in a wave) it let ~25 MB of garbage pile up
// between collections, and the strings and buffers behind it (malloc'd, not in the JS heap) with it:
// RSS rose 40-50 MB above the steady state during every wave. Every half second this checks RSS; when
// it grew by `stepBytes` (1 MiB) since the last check, it asks for a collection (Bun.gc(false): an
// asynchronous collection, and mimalloc returns its free pages). Idle or steady, it does nothing. With
// it the wave peak was 119-125 MB instead of 141-168 MB (steady ~108 MB; README, SIP figures).
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
}

export class MemoryPacer implements Service {
  readonly name = "memory-pacer";
  private timer: TimerId | null = null;
  private last = 0;
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
    if (now - this.last >= (this.d.stepBytes ?? 1024 * 1024)) {
      this.collections++;
      this.d.collect();
    }
    this.last = now;
  }
}
