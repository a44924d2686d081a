// Typed in-process event bus. Modules announce what happened (a device went offline, the uplink
// connected); others listen. Event names and payloads are declared in EventMap by each module
// through declaration merging, so a typo in a name or a payload field is a compile error.

export interface EventMap {
  "config.changed": { paths: string[] };
  "store.error": { reason: string; detail: string };
  "store.dropped": { priority: string; count: number };
  "uplink.state": { state: string; detail?: string };
  "log": { level: string; module: string; msg: string; ts: number };
}

export type EventName = keyof EventMap;
type Handler<K extends EventName> = (payload: EventMap[K]) => void;

export class EventBus {
  private readonly handlers = new Map<EventName, Set<Handler<any>>>();
  private readonly anyHandlers = new Set<(name: EventName, payload: unknown) => void>();

  on<K extends EventName>(name: K, fn: Handler<K>): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  /** Every event, whatever its name (for the outbox's event recorder and for tests). */
  onAny(fn: (name: EventName, payload: unknown) => void): () => void {
    this.anyHandlers.add(fn);
    return () => this.anyHandlers.delete(fn);
  }

  /** Delivers synchronously. A throwing listener is isolated so one bad module cannot stop the rest. */
  emit<K extends EventName>(name: K, payload: EventMap[K]): void {
    for (const fn of this.handlers.get(name) ?? []) {
      try { fn(payload); } catch (e) { console.error(`event listener for ${name} failed:`, e); }
    }
    for (const fn of this.anyHandlers) {
      try { fn(name, payload); } catch (e) { console.error(`event listener (any) for ${name} failed:`, e); }
    }
  }
}
