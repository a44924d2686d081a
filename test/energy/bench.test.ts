// A run of the benchmark scenarios (simulated time, ~1 s) asserting the targets.
import { expect, test } from "bun:test";
import { SCENARIOS, simulate } from "../../app/energy/simulate.ts";

test("rain7: adaptive keeps a heartbeat every hour for 168 h, endurance ≥ 3.8 × fixed", () => {
  const fixed = simulate(SCENARIOS.rain7, "fixed");
  const adaptive = simulate(SCENARIOS.rain7, "adaptive");
  expect(adaptive.heartbeatHours).toBe(168);
  expect(adaptive.hours).toBeGreaterThanOrEqual(168);
  expect(fixed.hours).toBeLessThan(168);                 // the fixed schedule does die in the rain
  expect(adaptive.hours / fixed.hours).toBeGreaterThanOrEqual(3.8);
});

test("mixed30: no heartbeat gap and ≥ 20% more data than thresholds", () => {
  const thresholds = simulate(SCENARIOS.mixed30, "thresholds");
  const adaptive = simulate(SCENARIOS.mixed30, "adaptive");
  expect(adaptive.heartbeatHours).toBe(720);
  expect(adaptive.hours).toBe(720);
  expect(adaptive.points).toBeGreaterThanOrEqual(thresholds.points * 1.2);
  expect(adaptive.minSoc).toBeGreaterThan(10);
});

test("the bench prints the figures and the ratio line; --json is one object", async () => {
  const p = Bun.spawn([process.execPath, "scripts/bench/energy.ts", "--scenario", "rain7", "--json"], { cwd: `${import.meta.dir}/../..`, stdout: "pipe" });
  const out = JSON.parse(await new Response(p.stdout).text());
  expect(await p.exited).toBe(0);
  for (const k of ["fixed", "thresholds", "adaptive"]) {
    expect(Object.keys(out.policies[k])).toEqual(expect.arrayContaining(["hours", "heartbeatHours", "modeHours", "points", "minSoc"]));
  }
  expect(out.ratio).toBeGreaterThanOrEqual(3.8);
  const t = Bun.spawn([process.execPath, "scripts/bench/energy.ts", "--scenario", "mixed30"], { cwd: `${import.meta.dir}/../..`, stdout: "pipe" });
  const text = await new Response(t.stdout).text();
  expect(text.trim().split("\n").at(-1)).toMatch(/^endurance ratio \(adaptive\/fixed\): [0-9.]+/);
  const bad = Bun.spawn([process.execPath, "scripts/bench/energy.ts", "--scenario", "nope"], { cwd: `${import.meta.dir}/../..`, stderr: "pipe" });
  expect(await bad.exited).toBe(2);
});
