// Which bus events leave the box: each module declares its outward events and their priority here,
// and the recorder writes them to the outbox (so they reach MQTT `events`, in order, after outages).
import type { EventBus, EventMap, EventName } from "../core/bus.ts";
import type { Logger } from "../core/logger.ts";
import type { Outbox, Priority } from "./outbox.ts";

export class EventRecorder {
  private readonly published = new Map<EventName, Priority>();
  constructor(private readonly d: { bus: EventBus; outbox: Outbox; log: Logger }) {
    d.bus.onAny((name, payload) => {
      const prio = this.published.get(name);
      if (!prio) return;
      try { d.outbox.addEvent(name, payload as Record<string, unknown>, prio); }
      catch (e) { d.log.error("event not stored", { type: name, error: String(e) }); }
    });
  }
  /** Sends bus event `name` upstream with this priority. */
  publish<K extends EventName>(name: K, prio: Priority = "normal"): void { this.published.set(name, prio); }
  isPublished(name: EventName): boolean { return this.published.has(name); }
}
export type { EventMap };
