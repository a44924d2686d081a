// Which bus events leave the box: each module declares its outward events and their priority here,
// and the recorder writes them to the outbox (so they reach MQTT `events`, in order, after outages).
// Events of one event-loop turn are written in one transaction: a burst of registrations makes
// thousands of `sip.device.online` events a second, and a commit each was a tenth of the CPU.
import type { EventBus, EventMap, EventName } from "../core/bus.ts";
import type { Logger } from "../core/logger.ts";
import type { Outbox, Priority } from "./outbox.ts";

export class EventRecorder {
  private readonly published = new Map<EventName, Priority>();
  private pending: { type: string; fields: Record<string, unknown>; prio: Priority }[] = [];
  constructor(private readonly d: { bus: EventBus; outbox: Outbox; log: Logger }) {
    d.bus.onAny((name, payload) => {
      const prio = this.published.get(name);
      if (!prio) return;
      if (!this.pending.length) queueMicrotask(() => this.flush());
      this.pending.push({ type: name, fields: payload as Record<string, unknown>, prio });
    });
  }

  /** Writes the events recorded so far (also called on stop, so none is left in memory). */
  flush(): void {
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    try { this.d.outbox.addEvents(batch); }
    catch (e) { this.d.log.error("events not stored", { types: [...new Set(batch.map((b) => b.type))], count: batch.length, error: String(e) }); }
  }
  /** Sends bus event `name` upstream with this priority. */
  publish<K extends EventName>(name: K, prio: Priority = "normal"): void { this.published.set(name, prio); }
  isPublished(name: EventName): boolean { return this.published.has(name); }
}
export type { EventMap };
