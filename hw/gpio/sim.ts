// The simulated GPIO twin: lines live in memory; tests and hw/sim drive inputs with set() and read
// outputs with get() (the simulated box reads the video power line to know what it draws).
import type { Bit, Edge, GpioDriver, GpioLine, LineSpec } from "./types.ts";
import { wanted } from "./types.ts";

const key = (s: LineSpec) => `${s.chip}:${s.line}`;

export class SimGpio implements GpioDriver {
  readonly kind = "sim" as const;
  private readonly values = new Map<string, Bit>();
  private readonly watchers = new Map<string, Set<(prev: Bit, next: Bit) => void>>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Test/sim side: drive an input (fires watchers on an edge). */
  set(chip: string, line: number, v: Bit): void {
    const k = `${chip}:${line}`;
    const prev = this.values.get(k) ?? 0;
    this.values.set(k, v);
    for (const fn of this.watchers.get(k) ?? []) fn(prev, v);
  }
  /** Test/sim side: the level of a line (physical level, before active-low). */
  get(chip: string, line: number): Bit { return this.values.get(`${chip}:${line}`) ?? 0; }

  private line(spec: LineSpec, edge: Edge): GpioLine {
    const k = key(spec);
    const inv = (v: Bit): Bit => (spec.activeLow ? (v ? 0 : 1) : v);
    const subs = new Set<() => void>();
    return {
      spec,
      read: async () => inv(this.values.get(k) ?? 0),
      write: async (v) => this.set(spec.chip, spec.line, inv(v)),
      watch: (fn) => {
        const w = (prev: Bit, next: Bit) => { if (wanted(edge, inv(prev), inv(next))) fn(inv(next), this.now()); };
        let set = this.watchers.get(k);
        if (!set) this.watchers.set(k, (set = new Set()));
        set.add(w);
        const off = () => { set!.delete(w); };
        subs.add(off);
        return off;
      },
      close: () => { for (const off of subs) off(); subs.clear(); },
    };
  }

  async input(spec: LineSpec, edge: Edge = "none"): Promise<GpioLine> { return this.line(spec, edge); }
  async output(spec: LineSpec, initial: Bit = 0): Promise<GpioLine> { return this.outputSync(spec, initial); }
  /** Synchronous variant for simulations that run without an event loop turn (SimClock benches). */
  outputSync(spec: LineSpec, initial: Bit = 0): GpioLine {
    const l = this.line(spec, "none");
    this.set(spec.chip, spec.line, spec.activeLow ? (initial ? 0 : 1) : initial);
    return l;
  }
  close(): void { this.watchers.clear(); }
}
