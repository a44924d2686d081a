// The one source of time. Liveness, retransmission timers, energy policy and batching read a Clock,
// so tests can run hours of simulated time in milliseconds (SimClock) instead of sleeping.

export type TimerId = number;

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
  setInterval(fn: () => void, ms: number): TimerId;
  clearInterval(id: TimerId): void;
}

export class SystemClock implements Clock {
  private readonly handles = new Map<number, ReturnType<typeof setTimeout>>();
  private next = 1;
  now(): number { return Date.now(); }
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.next++;
    this.handles.set(id, setTimeout(() => { this.handles.delete(id); fn(); }, ms));
    return id;
  }
  clearTimeout(id: TimerId): void {
    const h = this.handles.get(id);
    if (h !== undefined) { clearTimeout(h); this.handles.delete(id); }
  }
  setInterval(fn: () => void, ms: number): TimerId {
    const id = this.next++;
    this.handles.set(id, setInterval(fn, ms));
    return id;
  }
  clearInterval(id: TimerId): void {
    const h = this.handles.get(id);
    if (h !== undefined) { clearInterval(h); this.handles.delete(id); }
  }
}

interface SimTimer { id: number; at: number; fn: () => void; every?: number }

/** Simulated time: nothing happens until advance() moves it; timers fire in due order. */
export class SimClock implements Clock {
  private t: number;
  private timers: SimTimer[] = [];
  private next = 1;
  constructor(start = Date.UTC(2026, 0, 1)) { this.t = start; }
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.next++;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(id: TimerId): void { this.timers = this.timers.filter((x) => x.id !== id); }
  setInterval(fn: () => void, ms: number): TimerId {
    const id = this.next++;
    const every = Math.max(1, ms);
    this.timers.push({ id, at: this.t + every, fn, every });
    return id;
  }
  clearInterval(id: TimerId): void { this.clearTimeout(id); }
  /** Number of timers waiting. */
  pending(): number { return this.timers.length; }
  /** Moves time forward by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: SimTimer | undefined;
      for (const x of this.timers) if (x.at <= end && (!due || x.at < due.at || (x.at === due.at && x.id < due.id))) due = x;
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      if (due.every) due.at += due.every;
      else this.timers = this.timers.filter((x) => x !== due);
      due.fn();
    }
    this.t = end;
  }
  /** Moves time to an absolute instant (never backwards). */
  advanceTo(at: number): void { if (at > this.t) this.advance(at - this.t); }
}
