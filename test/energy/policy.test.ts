// Policy on the simulated clock: hysteresis, minimum dwell, vibration wake, the reserve.
import { describe, expect, test } from "bun:test";
import { SimClock } from "../../app/core/clock.ts";
import { defaultEnergyConfig } from "../../app/energy/simulate.ts";
import { AdaptiveStrategy, ModeController, reserveWh, trajectoryMin, type PolicyInput } from "../../app/energy/policy.ts";
import { ThresholdStrategy } from "../../app/energy/baselines.ts";
import { HarvestForecast } from "../../app/energy/forecast.ts";
import type { ModeId } from "../../app/energy/config.ts";

const cfg = defaultEnergyConfig();
const get = () => cfg;
const flat = (wh: number, n = 24) => new Array(n).fill(wh);

function controller(clock: SimClock, initial: ModeId = "saver") {
  const c = new ModeController(new AdaptiveStrategy(get), get, clock.now(), initial);
  c.since = -Infinity;
  return c;
}
const input = (clock: SimClock, soc: number, forecast = flat(0)): PolicyInput => ({ now: clock.now(), soc, solarW: 0, forecast });

describe("adaptive policy", () => {
  test("reserve: below the sunless-days reserve it drops to survival at once, whatever the dwell", () => {
    const clock = new SimClock();
    const c = controller(clock, "full");
    c.since = clock.now();                             // just changed: the dwell would hold the mode
    const reserve = reserveWh(cfg);                    // 3 days × 24 h × 0.4 W = 28.8 Wh
    const socBelow = cfg.battery.cutoffSoc + ((reserve - 1) / cfg.battery.capacityWh) * 100;
    const d = c.evaluate(input(clock, socBelow, flat(50)));
    expect(d?.mode).toBe("survival");
    expect(d?.reason).toContain("reserve");
  });

  test("reserve: a plan that would eat into the reserve is refused; survival keeps heartbeats for reserveDays with no sun", () => {
    const reserve = reserveWh(cfg);
    // Just enough above the reserve that one hour of full would dip below it.
    const soc = cfg.battery.cutoffSoc + ((reserve + 5) / cfg.battery.capacityWh) * 100;
    expect(trajectoryMin(cfg, soc, flat(0), "full", 1)).toBeLessThan(reserve);
    const clock = new SimClock();
    const c = controller(clock, "survival");
    expect(c.evaluate(input(clock, soc))).toBeNull();
    expect(c.mode).toBe("survival");
    // The reserve itself runs survival (0.4 W) for reserveDays × 24 h with no harvest at all.
    expect(reserve / cfg.modes.survival.drawWatts / 24).toBeCloseTo(cfg.reserveDays, 5);
  });

  test("hysteresis: moving up needs hysteresisPct more than staying", () => {
    const clock = new SimClock();
    const reserve = reserveWh(cfg);
    const hyst = (cfg.hysteresisPct / 100) * cfg.battery.capacityWh;
    const full = cfg.modes.full.drawWatts, surv = cfg.modes.survival.drawWatts;
    // Energy (Wh above cut-off) at which "1 h full then survival, no sun" ends exactly `x` above the reserve.
    const socFor = (wh: number) => cfg.battery.cutoffSoc + (wh / cfg.battery.capacityWh) * 100;
    const need = reserve + full + 23 * surv;           // lowest point = avail − full − 23 h survival
    const between = socFor(need + hyst / 2);          // enough to stay in full, not enough to move up
    const up = controller(clock, "saver");
    expect(up.evaluate(input(clock, between))?.mode ?? up.mode).toBe("saver");
    const stay = controller(clock, "full");
    expect(stay.evaluate(input(clock, between))).toBeNull();
    expect(stay.mode).toBe("full");
    expect(controller(clock, "saver").evaluate(input(clock, socFor(need + hyst + 1)))?.mode).toBe("full");
  });

  test("dwell: no change before minDwell even when the target moves; then it follows", () => {
    const clock = new SimClock();
    const c = controller(clock, "survival");
    expect(c.evaluate(input(clock, 95))?.mode).toBe("full");
    // The sun goes and the battery is suddenly mid-range: saver is the target, but the dwell holds.
    clock.advance(60_000);
    const mid = cfg.battery.cutoffSoc + ((reserveWh(cfg) + 3 + 23 * 0.4) / cfg.battery.capacityWh) * 100;
    expect(c.evaluate(input(clock, mid))).toBeNull();
    expect(c.mode).toBe("full");
    clock.advance(cfg.minDwell * 1000);
    expect(c.evaluate(input(clock, mid))?.mode).not.toBe("full");
  });

  test("never flaps: SoC noise within the hysteresis around a boundary for a day changes nothing; larger noise is bounded by the dwell", () => {
    const reserve = reserveWh(cfg);
    const edge = cfg.battery.cutoffSoc + ((reserve + cfg.modes.full.drawWatts + 23 * 0.4) / cfg.battery.capacityWh) * 100;
    const run = (amplitude: number) => {
      const clock = new SimClock();
      const c = controller(clock, "full");
      let changes = 0;
      for (let i = 0; i < 24 * 60; i++) {
        clock.advance(60_000);
        if (c.evaluate(input(clock, edge + 0.5 + Math.sin(i) * amplitude))) changes++;   // a reading every minute
      }
      return changes;
    };
    expect(run(2)).toBeLessThanOrEqual(1);               // ±2 % (a fuel gauge's noise) < 5 % hysteresis
    // ±10 %: moves up are held by the dwell; only drops into survival (the reserve being eaten) may
    // come sooner, so at most two changes per dwell period.
    expect(run(10)).toBeLessThanOrEqual((2 * 24 * 3600) / cfg.minDwell);
  });

  test("vibration above the threshold wakes to full for the configured time, then the policy resumes", () => {
    const clock = new SimClock();
    const c = controller(clock, "survival");
    const soc = 25;
    expect(c.evaluate(input(clock, soc))).toBeNull();
    expect(c.vibration(1.5, clock.now(), soc)).toBeNull();         // below 2 g: nothing
    const d = c.vibration(2.4, clock.now(), soc);
    expect(d?.mode).toBe("full");
    expect(d?.reason).toContain("vibration 2.40 g");
    clock.advance((cfg.vibration.wake - 60) * 1000);
    expect(c.evaluate(input(clock, soc))).toBeNull();               // still awake
    expect(c.mode).toBe("full");
    clock.advance(120_000);
    expect(c.evaluate(input(clock, soc))?.mode).toBe("survival");  // wake over: back to the plan
  });

  test("vibration does not wake a nearly empty battery", () => {
    const clock = new SimClock();
    const c = controller(clock, "survival");
    expect(c.vibration(5, clock.now(), cfg.vibration.minSoc - 1)).toBeNull();
    expect(c.mode).toBe("survival");
  });

  test("the forecast decides: same battery, sun ahead → full; no sun ahead → lower", () => {
    const clock = new SimClock();
    const soc = 45;
    const sunny = flat(0).map((_, h) => (h >= 6 && h < 14 ? 40 : 0));
    expect(controller(clock, "survival").evaluate(input(clock, soc, sunny))?.mode).toBe("full");
    const c = controller(clock, "survival");
    const t = new AdaptiveStrategy(get).target(input(clock, 20, flat(0)), "survival");
    expect(t.mode).toBe("survival");
    void c;
  });
});

describe("thresholds baseline", () => {
  test("battery percentage alone, with hysteresis on the way up", () => {
    const s = new ThresholdStrategy(get);
    const x = (soc: number): PolicyInput => ({ now: 0, soc, solarW: null, forecast: [] });
    expect(s.target(x(62), "saver").mode).toBe("saver");   // needs 65 to move up
    expect(s.target(x(66), "saver").mode).toBe("full");
    expect(s.target(x(62), "full").mode).toBe("full");
    expect(s.target(x(29), "saver").mode).toBe("survival");
  });
});

describe("harvest forecast", () => {
  test("learns harvest per hour of day (EWMA) and scales the near future by today's weather", () => {
    const f = new HarvestForecast(0.5);
    const day = Date.UTC(2026, 6, 1);
    for (let d = 0; d < 3; d++) for (let h = 0; h < 24; h++) f.observe(day + d * 86_400_000 + h * 3_600_000, h >= 1 && h <= 10 ? 30 : 0);
    expect(f.slots[5]).toBeCloseTo(30, 5);
    expect(f.slots[15]).toBe(0);
    const next = f.next(day + 3 * 86_400_000, 24);
    expect(next.reduce((a, b) => a + b, 0)).toBeCloseTo(300, 0);
    // A rainy morning: the afternoon forecast drops.
    for (let h = 0; h < 5; h++) f.observe(day + 4 * 86_400_000 + h * 3_600_000, h >= 1 ? 3 : 0);
    const after = f.next(day + 4 * 86_400_000 + 5 * 3_600_000, 6);
    expect(after[0]).toBeLessThan(30 * 0.6);
    const restored = new HarvestForecast(0.5);
    restored.restore(f.state());
    expect(restored.next(day, 24)).toEqual(f.next(day, 24));
  });
});
