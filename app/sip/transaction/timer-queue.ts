// One timer queue for all transactions: a binary heap of deadlines with a single clock timer armed for
// the earliest. Thousands of live transactions (each with Timer J or K pending) cost one clock timer, and
// cancelling is O(1) (lazy). Runs on the injected Clock, so SimClock tests fire timers exactly on time.
import type { Clock, TimerId } from "../../core/clock.ts";

export interface TimerHandle { at: number; fn: () => void; cancelled: boolean; seq: number }

const NOOP = () => {};

export class TimerQueue {
  private heap: TimerHandle[] = [];
  private armedAt = Infinity;
  private armedId: TimerId | null = null;
  private seq = 0;
  private dead = 0;
  private stopped = false;
  constructor(private readonly clock: Clock, private readonly onError: (e: unknown) => void = () => {}) {}

  /** Live timers. */
  get size(): number { return this.heap.length - this.dead; }

  schedule(ms: number, fn: () => void): TimerHandle {
    const h: TimerHandle = { at: this.clock.now() + Math.max(0, ms), fn, cancelled: false, seq: this.seq++ };
    this.push(h);
    if (h.at < this.armedAt) this.arm();
    return h;
  }

  cancel(h: TimerHandle | null | undefined): void {
    if (!h || h.cancelled) return;
    h.cancelled = true;
    h.fn = NOOP; // a tombstone must not keep its closure (and the transaction in it) alive
    this.dead++;
    // Rebuild when mostly tombstones, so memory follows the live count.
    if (this.dead > 1024 && this.dead > this.heap.length / 2) {
      this.heap = this.heap.filter((x) => !x.cancelled);
      // Bottom-up heap construction: O(n), so compacting 100k timers is no pause worth noticing.
      for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
      this.dead = 0;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.armedId !== null) this.clock.clearTimeout(this.armedId);
    this.armedId = null;
    this.heap = [];
    this.dead = 0;
  }

  private arm(): void {
    if (this.stopped) return;
    if (this.armedId !== null) { this.clock.clearTimeout(this.armedId); this.armedId = null; }
    while (this.heap.length && this.heap[0].cancelled) { this.pop(); this.dead--; }
    if (!this.heap.length) { this.armedAt = Infinity; return; }
    const at = this.heap[0].at;
    this.armedAt = at;
    this.armedId = this.clock.setTimeout(() => { this.armedId = null; this.armedAt = Infinity; this.fire(); }, Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    const now = this.clock.now();
    while (this.heap.length && this.heap[0].at <= now) {
      const h = this.pop()!;
      if (h.cancelled) { this.dead--; continue; }
      h.cancelled = true; // fired: a later cancel() is a no-op
      const fn = h.fn;
      h.fn = NOOP;
      try { fn(); } catch (e) { this.onError(e); }
    }
    this.arm();
  }

  private push(h: TimerHandle): void {
    const a = this.heap;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i], a[p])) break;
      const t = a[i]; a[i] = a[p]; a[p] = t;
      i = p;
    }
  }

  private pop(): TimerHandle | undefined {
    const a = this.heap;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) { a[0] = last; this.down(0); }
    return top;
  }

  private down(i: number): void {
    const a = this.heap;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < a.length && less(a[l], a[m])) m = l;
      if (r < a.length && less(a[r], a[m])) m = r;
      if (m === i) return;
      const t = a[i]; a[i] = a[m]; a[m] = t;
      i = m;
    }
  }
}

function less(x: TimerHandle, y: TimerHandle): boolean { return x.at < y.at || (x.at === y.at && x.seq < y.seq); }
