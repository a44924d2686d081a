// Turns the outbox's drop notifications into `store.dropped` events, at most one per priority per
// interval with the count since the last one. Reporting every eviction would itself fill the store
// it reports on (the events go through the same buffer).
import type { EventBus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Priority } from "./outbox.ts";

export class DropReporter {
  private readonly pending = new Map<Priority, number>();
  private timer: number | null = null;
  private lastEmit = -Infinity;
  constructor(private readonly bus: EventBus, private readonly clock: Clock, private readonly intervalMs = 10_000) {}

  dropped(priority: Priority, count: number): void {
    this.pending.set(priority, (this.pending.get(priority) ?? 0) + count);
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastEmit + this.intervalMs - this.clock.now());
    // Emitting from inside the outbox's transaction would recurse into it: always defer.
    this.timer = this.clock.setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer !== null) { this.clock.clearTimeout(this.timer); this.timer = null; }
    this.lastEmit = this.clock.now();
    const entries = [...this.pending];
    this.pending.clear();
    for (const [priority, count] of entries) this.bus.emit("store.dropped", { priority, count });
  }
}
