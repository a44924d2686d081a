// The simulated board's physics: sun by time of day and season, weather, battery.
import { describe, expect, test } from "bun:test";
import { SimClock } from "../../app/core/clock.ts";
import { clearSkyIrradiance } from "../../hw/sim/sun.ts";
import { markovWeather, traceWeather } from "../../hw/sim/weather.ts";
import { SimBattery } from "../../hw/sim/battery.ts";
import { SimBox } from "../../hw/sim/box.ts";
import { REFERENCE_BOX } from "../../hw/sim/reference-box.ts";

const site = { latitude: 36.6, longitude: 101.8, tilt: 36.6 };
const dailyWh = (day: number) => {
  let wh = 0;
  for (let m = 0; m < 1440; m++) wh += (60 * 0.8 * clearSkyIrradiance(day + m * 60_000, site)) / 1000 / 60;
  return wh;
};

describe("sun", () => {
  test("no sun at local midnight, most near local noon (≈ 05:13 UTC at 101.8° E); summer gives more than winter", () => {
    const jul = Date.UTC(2026, 6, 1);
    expect(clearSkyIrradiance(jul + 17 * 3_600_000, site)).toBe(0);              // 01:00 local
    const noon = clearSkyIrradiance(jul + 5.2 * 3_600_000, site);
    expect(noon).toBeGreaterThan(800);
    expect(noon).toBeLessThan(1100);
    expect(dailyWh(jul)).toBeGreaterThan(dailyWh(Date.UTC(2026, 0, 1)));
    expect(dailyWh(jul)).toBeGreaterThan(250);                                     // 60 W panel, clear day
    expect(dailyWh(jul)).toBeLessThan(420);
  });
});

describe("weather", () => {
  test("seeded Markov weather is the same on every run and mixes all three skies", () => {
    const a = markovWeather(2026, 0, 30), b = markovWeather(2026, 0, 30);
    const days = Array.from({ length: 30 }, (_, i) => a.sky(i * 86_400_000));
    expect(days).toEqual(Array.from({ length: 30 }, (_, i) => b.sky(i * 86_400_000)));
    expect(new Set(days)).toEqual(new Set(["clear", "cloudy", "rain"]));
  });

  test("a trace file holds each line until the next; bad lines are named", () => {
    const w = traceWeather("# site trace\n2026-07-01T00:00Z,rain\n2026-07-02T06:00Z,0.42\n");
    expect(w.factor(Date.UTC(2026, 6, 1, 12))).toBe(0.1);
    expect(w.factor(Date.UTC(2026, 6, 3))).toBe(0.42);
    expect(() => traceWeather("2026-07-01T00:00Z,snowy")).toThrow(/line 1/);
    expect(() => traceWeather("")).toThrow(/empty/);
  });
});

describe("battery and box", () => {
  test("charge efficiency, full cap wastes surplus, cut-off and reconnect", () => {
    const b = new SimBattery(REFERENCE_BOX.battery, 50);
    b.apply(10, 3600);                                     // +10 Wh offered
    expect(b.wh).toBeCloseTo(120 + 9, 6);
    const full = new SimBattery(REFERENCE_BOX.battery, 99);
    expect(full.apply(60, 3600)).toBeGreaterThan(50);      // surplus wasted
    expect(full.soc).toBe(100);
    const low = new SimBattery(REFERENCE_BOX.battery, 11);
    low.apply(-10, 3600);
    expect(low.connected).toBe(false);
    low.apply(30, 3600);
    expect(low.connected).toBe(true);                      // back above 15 %
  });

  test("the box draws what its subsystems are set to, and dies at the cut-off", () => {
    const clock = new SimClock(Date.UTC(2026, 6, 1, 18));  // night
    const box = new SimBox(clock, REFERENCE_BOX, { socPct: 12 });
    let video = true;
    box.videoOn = () => video;
    box.boardState = "full";
    box.start();
    clock.advance(60_000);
    expect(box.loadW).toBeCloseTo((2 + 4 + 1.5 + 0.2) / 0.92, 6);
    video = false; box.boardState = "survival"; box.samplingHz = 0; box.cellularOn = () => false;
    clock.advance(60_000);
    expect(box.loadW).toBeCloseTo(0.35 / 0.92, 6);
    const events: boolean[] = [];
    box.onAlive((a) => events.push(a));
    video = true; box.boardState = "full"; box.cellularOn = () => true;
    clock.advance(3 * 3_600_000);
    expect(events).toEqual([false]);
    expect(box.alive).toBe(false);
  });
});
