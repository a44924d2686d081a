// The mode policy: which of full / saver / survival to run now. A strategy proposes a target from the
// inputs; the controller around it adds what keeps a field box sane: a minimum dwell so the mode never
// flaps, immediate drops when the reserve is being eaten, and vibration wakes to full for a while.
//
// The adaptive strategy is energy-neutral planning (Kansal et al. 2007): for each mode, walk the next
// `horizonHours` hour by hour — battery + forecast harvest × charge efficiency − the mode's draw,
// capped at full (a full battery wastes harvest) — and pick the best mode whose lowest point stays
// above the reserve (the energy that runs heartbeats for `reserveDays` sunless days). Moving up needs
// `hysteresisPct` of capacity more than staying does.
import type { EnergyConfig, ModeId } from "./config.ts";

export const RANK: Record<ModeId, number> = { survival: 0, saver: 1, full: 2 };

export interface PolicyInput {
  now: number;
  /** Battery state of charge, %. */
  soc: number;
  /** Panel power now, W (null = not measured). */
  solarW: number | null;
  /** Forecast harvest, Wh per hour for the next horizonHours (first entry: rest of this hour). */
  forecast: number[];
  /** Measured average draw per mode (W), where known; config drawWatts otherwise. */
  draw?: Partial<Record<ModeId, number>>;
}

export function drawOf(cfg: PolicyConfig, mode: ModeId, measured?: Partial<Record<ModeId, number>>): number {
  return measured?.[mode] ?? cfg.modes[mode].drawWatts;
}

export interface Target { mode: ModeId; reason: string; /** Bypass the dwell (reserve being eaten). */ urgent?: boolean }

export interface Strategy {
  readonly name: string;
  target(input: PolicyInput, current: ModeId): Target;
}

export type PolicyConfig = Pick<EnergyConfig, "battery" | "reserveDays" | "horizonHours" | "planBlockHours" | "hysteresisPct" | "minDwell" | "vibration" | "modes" | "thresholds">;

/** Wh above the cut-off for a state of charge. */
export function availableWh(cfg: PolicyConfig, soc: number): number {
  return Math.max(0, ((soc - cfg.battery.cutoffSoc) / 100) * cfg.battery.capacityWh);
}

export function reserveWh(cfg: PolicyConfig, measured?: Partial<Record<ModeId, number>>): number {
  return cfg.reserveDays * 24 * drawOf(cfg, "survival", measured);
}

/**
 * Lowest energy above the cut-off over the horizon if `mode` ran for the first `blockHours` and
 * survival after (so a mode is chosen when the energy it spends now is surely there, whatever the
 * policy decides later: energy is spent as it comes instead of being kept for a battery that may
 * already be full when the sun returns).
 */
export function trajectoryMin(cfg: PolicyConfig, soc: number, forecast: number[], mode: ModeId, blockHours = forecast.length, measured?: Partial<Record<ModeId, number>>): number {
  const cap = ((100 - cfg.battery.cutoffSoc) / 100) * cfg.battery.capacityWh;
  let e = availableWh(cfg, soc), min = e;
  for (const [i, f] of forecast.entries()) {
    const draw = drawOf(cfg, i < blockHours ? mode : "survival", measured);
    const net = f - draw;                    // harvest feeds the load first; only the surplus is charged
    e = Math.min(cap, e + (net > 0 ? net * cfg.battery.chargeEfficiency : net));
    if (e < min) min = e;
  }
  return min;
}

export class AdaptiveStrategy implements Strategy {
  readonly name = "adaptive";
  constructor(private readonly cfg: () => PolicyConfig) {}
  target(x: PolicyInput, current: ModeId): Target {
    const cfg = this.cfg();
    const reserve = reserveWh(cfg, x.draw);
    const avail = availableWh(cfg, x.soc);
    const sum = Math.round(x.forecast.reduce((a, b) => a + b, 0));
    if (avail < reserve) return { mode: "survival", reason: `battery ${x.soc.toFixed(0)}% (${avail.toFixed(0)} Wh) below the ${cfg.reserveDays}-day reserve (${reserve.toFixed(0)} Wh)`, urgent: current !== "survival" };
    const hyst = (cfg.hysteresisPct / 100) * cfg.battery.capacityWh;
    for (const m of ["full", "saver"] as ModeId[]) {
      const low = trajectoryMin(cfg, x.soc, x.forecast, m, cfg.planBlockHours, x.draw);
      const need = reserve + (RANK[m] > RANK[current] ? hyst : 0);
      if (low >= need) return { mode: m, reason: `${cfg.horizonHours} h plan, ${m} for ${cfg.planBlockHours} h then survival: lowest ${low.toFixed(0)} Wh ≥ ${need.toFixed(0)} Wh needed (reserve ${reserve.toFixed(0)}); forecast ${sum} Wh, battery ${x.soc.toFixed(0)}%` };
    }
    return { mode: "survival", reason: `no mode above survival keeps the ${reserve.toFixed(0)} Wh reserve over ${cfg.horizonHours} h (forecast ${sum} Wh, battery ${x.soc.toFixed(0)}%)` };
  }
}

export interface Decision { mode: ModeId; from: ModeId; reason: string; at: number }

/** Holds the current mode; applies dwell, urgency and vibration wakes around a strategy. */
export class ModeController {
  mode: ModeId;
  reason = "boot";
  since: number;
  private wakeUntil = 0;
  /** Last target proposed by the strategy (for the API). */
  lastTarget: Target | null = null;

  constructor(private readonly strategy: Strategy, private readonly cfg: () => PolicyConfig, now: number, initial: ModeId = "saver") {
    this.mode = initial;
    this.since = now;
  }

  get strategyName(): string { return this.strategy.name; }
  get waking(): boolean { return this.wakeUntil > 0; }

  private set(mode: ModeId, reason: string, now: number): Decision | null {
    this.reason = reason;
    if (mode === this.mode) return null;
    const d = { mode, from: this.mode, reason, at: now };
    this.mode = mode;
    this.since = now;
    return d;
  }

  /** The first decision after start: taken at once, not a change (no dwell, no hysteresis). */
  boot(x: PolicyInput): void {
    const t = this.strategy.target(x, "survival");
    this.lastTarget = t;
    this.mode = t.mode;
    this.reason = `boot: ${t.reason}`;
    this.since = x.now;
  }

  /** Evaluates the inputs; returns the change, if any. */
  evaluate(x: PolicyInput): Decision | null {
    const cfg = this.cfg();
    if (this.wakeUntil) {
      if (x.now < this.wakeUntil && x.soc >= cfg.vibration.minSoc) return null;
      this.wakeUntil = 0;
      // The wake is an override, so the dwell starts afresh from the decision below.
      this.since = -Infinity;
    }
    const t = this.strategy.target(x, this.mode);
    this.lastTarget = t;
    if (t.mode === this.mode) { this.reason = t.reason; return null; }
    const dwelt = x.now - this.since >= cfg.minDwell * 1000;
    const down = RANK[t.mode] < RANK[this.mode];
    if (!dwelt && !(t.urgent && down)) return null;
    return this.set(t.mode, t.reason, x.now);
  }

  /** An acceleration reading (g). Above the threshold it wakes the box to full for `vibration.wake`. */
  vibration(g: number, now: number, soc: number): Decision | null {
    const v = this.cfg().vibration;
    if (!(g >= v.thresholdG)) return null;
    if (soc < v.minSoc) return null;
    this.wakeUntil = Math.max(this.wakeUntil, now + v.wake * 1000);
    const d = this.set("full", `vibration ${g.toFixed(2)} g ≥ ${v.thresholdG} g: full for ${v.wake} s`, now);
    return d;
  }
}
