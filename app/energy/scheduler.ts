// The scheduler applies a mode to the rest of the gateway through named knobs. The scheduler owns the
// decision; each module owns its knob: `scheduler.knob("bridge.poll", (mode, s) => poller.scale(s.pollScale))`.
// A knob registered after a mode was applied gets the current mode at once, so install order does not
// matter. A failing knob is logged and isolated: one broken module must not stop the others.
import type { Logger } from "../core/logger.ts";
import type { EnergyConfig, ModeId } from "./config.ts";

export type ModeSettings = EnergyConfig["modes"]["full"];
export type KnobFn = (mode: ModeId, settings: ModeSettings) => void | Promise<void>;

export class Scheduler {
  private readonly knobs = new Map<string, KnobFn>();
  current: ModeId | null = null;
  /** Knob name → last error (for the API). */
  readonly errors = new Map<string, string>();

  constructor(private readonly settings: (mode: ModeId) => ModeSettings, private readonly log?: Logger) {}

  /** Registers (or replaces) a knob; returns a function that removes it. */
  knob(name: string, fn: KnobFn): () => void {
    this.knobs.set(name, fn);
    if (this.current) this.run(name, fn, this.current);
    return () => { if (this.knobs.get(name) === fn) this.knobs.delete(name); };
  }

  names(): string[] { return [...this.knobs.keys()]; }

  /** Moves every knob to `mode` (also used to re-apply after a config change). */
  apply(mode: ModeId): void {
    this.current = mode;
    for (const [name, fn] of this.knobs) this.run(name, fn, mode);
  }

  private run(name: string, fn: KnobFn, mode: ModeId): void {
    const fail = (e: unknown) => {
      this.errors.set(name, String(e));
      this.log?.error("knob failed", { knob: name, mode, error: String(e) });
    };
    try {
      const r = fn(mode, this.settings(mode));
      if (r instanceof Promise) r.then(() => this.errors.delete(name), fail);
      else this.errors.delete(name);
    } catch (e) { fail(e); }
  }
}
