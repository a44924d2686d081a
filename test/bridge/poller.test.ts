// The poller on simulated time: states, events, backoff, deadband and full reports, and days of
// outages, refusals, hangs and odd errors without the loop dying or leaking timers.
import { describe, expect, test } from "bun:test";
import { SimClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import type { Point } from "../../app/store/outbox.ts";
import { buildModel } from "../../app/bridge/model.ts";
import { UnitClient, type Line } from "../../app/bridge/modbus/client.ts";
import { ModbusError } from "../../app/bridge/modbus/codec.ts";
import { GAP_COST } from "../../app/bridge/modbus/coalesce.ts";
import { DevicePoller } from "../../app/bridge/modbus/poller.ts";
import { validateConfig } from "../../app/config/validate.ts";

type Mode = "ok" | "dead" | "refuse" | "hang" | "throw";

/** A slave in memory, answering through the simulated clock like a real one would. */
class FakeLine implements Line {
  mode: Mode = "ok";
  regs = new Uint16Array(1000);
  requests = 0;
  constructor(private readonly clock: SimClock) {}
  request(_unit: number, pdu: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.requests++;
    const mode = this.mode;
    return new Promise((resolve, reject) => {
      if (mode === "dead") { this.clock.setTimeout(() => reject(new ModbusError("timeout", "no response")), timeoutMs); return; }
      if (mode === "hang") return;                                   // never settles: the watchdog's case
      if (mode === "throw") throw new TypeError("something nobody expected");
      if (mode === "refuse") { resolve(Uint8Array.from([pdu[0] | 0x80, 4])); return; }
      const addr = (pdu[1] << 8) | pdu[2], n = (pdu[3] << 8) | pdu[4];
      const out = new Uint8Array(2 + 2 * n);
      out[0] = pdu[0]; out[1] = 2 * n;
      for (let i = 0; i < n; i++) { out[2 + 2 * i] = this.regs[addr + i] >> 8; out[3 + 2 * i] = this.regs[addr + i] & 0xff; }
      resolve(out);
    });
  }
}

function setup(extra: Record<string, unknown> = {}) {
  const clock = new SimClock();
  const v = validateConfig({ bridge: { modbus: { devices: [{
    name: "m1", tcp: "127.0.0.1:502", pollMs: 1000, timeoutMs: 500, retries: 1, reportEveryMs: 60_000,
    tags: [
      { name: "a", area: "holding", address: 0, type: "uint16", deadband: 5 },
      { name: "b", area: "holding", address: 1, type: "int16" },
      { name: "c", area: "holding", address: 40, type: "uint16" },
    ],
    ...extra,
  }] } } });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const dev = buildModel(v.config.bridge).devices[0];
  const line = new FakeLine(clock);
  const points: Point[][] = [];
  const events: string[] = [];
  const poller = new DevicePoller(dev, {
    clock, log: new LogHub(() => clock.now(), () => {}).for("bridge"), client: new UnitClient(line, 1, dev.timeoutMs), gap: GAP_COST.tcp,
    addPoints: (_d, p) => points.push(p),
    onDown: () => events.push("down"), onUp: () => events.push("up"),
  });
  const tick = () => new Promise((r) => setImmediate(r));
  const runFor = async (ms: number, step = 250) => {
    for (let t = 0; t < ms; t += step) { clock.advance(step); await tick(); await tick(); }
  };
  return { clock, line, poller, points, events, runFor };
}

describe("poller", () => {
  test("coalesces, reports changes beyond the deadband, and a full report periodically", async () => {
    const { line, poller, points, runFor } = setup();
    expect(poller.blocks.length).toBe(1);                 // 0..40 bridged: one read instead of three
    poller.start();
    await runFor(500);
    expect(points.length).toBe(1);
    expect(points[0].map((p) => p.tag)).toEqual(["a", "b", "c"]);
    line.regs[0] = 3;                                     // within deadband 5: not reported
    line.regs[1] = 65535;                                 // int16 -1: reported
    await runFor(1000);
    expect(points.length).toBe(2);
    expect(points[1]).toEqual([expect.objectContaining({ tag: "b", v: -1, q: "good" })]);
    line.regs[0] = 9;
    await runFor(1000);
    expect(points[2]).toEqual([expect.objectContaining({ tag: "a", v: 9 })]);
    await runFor(60_000);
    expect(points.some((p) => p.length === 3)).toBe(true);
    expect(poller.state).toBe("ok");
    expect(poller.stats.lastCycleRequests).toBe(1);
    poller.stop();
  }, 30_000);

  test("down after consecutive failures with backoff, up when it answers; events once each", async () => {
    const { line, poller, points, events, runFor, clock } = setup();
    poller.start();
    await runFor(2000);
    line.mode = "dead";
    await runFor(10_000);
    expect(poller.state).toBe("down");
    expect(events).toEqual(["down"]);
    expect(points.at(-1)!.every((p) => p.q === "bad:timeout" && p.v === null)).toBe(true);
    // Backoff: in 10 minutes of outage, far fewer than 600 polls.
    const before = line.requests;
    await runFor(600_000, 1000);
    const polls = (line.requests - before) / 2;           // each poll: 1 try + 1 retry
    expect(polls).toBeGreaterThan(5);
    expect(polls).toBeLessThan(40);
    line.mode = "ok";
    await runFor(40_000, 1000);
    expect(poller.state).toBe("ok");
    expect(events).toEqual(["down", "up"]);
    expect(points.at(-1)!.every((p) => p.q === "good")).toBe(true);
    expect(clock.pending()).toBeLessThanOrEqual(2);
    poller.stop();
  }, 30_000);

  test("an exception is a bad quality, not a dead device: degraded, no down event", async () => {
    const { line, poller, points, events, runFor } = setup();
    line.mode = "refuse";
    poller.start();
    await runFor(10_000);
    expect(poller.state).toBe("degraded");
    expect(events).toEqual([]);
    expect(points[0][0]).toMatchObject({ v: null, q: "bad:exception-4" });
    poller.stop();
  }, 30_000);

  test("survives days of outages, refusals, hangs and unexpected errors", async () => {
    const { line, poller, events, runFor, clock } = setup({ pollMs: 5000 });
    poller.start();
    const modes: Mode[] = ["ok", "dead", "ok", "hang", "ok", "throw", "ok", "refuse", "dead", "ok"];
    const hour = 3600_000;
    for (let day = 0; day < 3; day++) {
      for (const m of modes) { line.mode = m; await runFor(hour * 2.4, 5000); }
    }
    // Still polling, healthy, no timer leak, and the hang was abandoned by the watchdog.
    const before = line.requests;
    await runFor(60_000, 5000);
    expect(line.requests).toBeGreaterThan(before);
    expect(poller.state).toBe("ok");
    expect(poller.stats.stuck).toBeGreaterThan(0);
    expect(clock.pending()).toBeLessThanOrEqual(2);
    // Down/up strictly alternate.
    expect(events.length % 2).toBe(0);
    expect(events.every((e, i) => e === (i % 2 ? "up" : "down"))).toBe(true);
    expect(events.length).toBeGreaterThanOrEqual(6);
    poller.stop();
    expect(clock.pending()).toBe(0);
  }, 60_000);

  test("poll scale stretches the period at once", async () => {
    const { line, poller, runFor } = setup();
    poller.start();
    await runFor(10_000);
    const a = line.requests;
    poller.setScale(10);
    await runFor(100_000, 1000);
    const b = line.requests;
    expect(b - a).toBeGreaterThanOrEqual(9);
    expect(b - a).toBeLessThanOrEqual(11);
    poller.stop();
  }, 30_000);
});
