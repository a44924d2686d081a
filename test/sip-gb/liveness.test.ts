// Liveness on the simulated clock (SPEC section 5): offline exactly within the window, never before,
// and each reason for going offline.
import { describe, expect, test } from "bun:test";
import { SimClock } from "../../app/core/clock.ts";
import { Liveness, SWEEP_MS, type Transition } from "../../app/sip/gb28181/liveness.ts";

function setup(windowMs = 180_000) {
  const clock = new SimClock();
  const seen: Transition[] = [];
  const lv = new Liveness({ clock, windowMs: () => windowMs, onTransition: (t) => seen.push(t) });
  lv.start();
  return { clock, lv, seen, windowMs };
}

describe("liveness", () => {
  test("online on REGISTER; offline when the keepalive window closes, not a millisecond before, within 1 s after", () => {
    const { clock, lv, seen, windowMs } = setup();
    const t0 = clock.now();
    lv.registered("cam1", t0 + 3600_000);
    expect(lv.get("cam1")!.state).toBe("online");
    expect(seen.at(-1)).toMatchObject({ device: "cam1", state: "online", reason: "registered" });
    clock.advance(windowMs - 1);
    expect(lv.get("cam1")!.state).toBe("online");
    clock.advance(1000);
    expect(lv.get("cam1")!.state).toBe("offline");
    const off = seen.at(-1)!;
    expect(off).toMatchObject({ state: "offline", reason: "keepalive-timeout" });
    expect(off.ts).toBeGreaterThanOrEqual(t0 + windowMs);
    expect(off.ts).toBeLessThanOrEqual(t0 + windowMs + 1000);
  });

  test("keepalives hold it online for hours; each one restarts the window", () => {
    const { clock, lv, seen } = setup(180_000);
    lv.registered("cam1", clock.now() + 24 * 3600_000);
    for (let i = 0; i < 200; i++) { clock.advance(60_000); expect(lv.heard("cam1", "keepalive")).toBe(true); }
    expect(seen.length).toBe(1);
    const last = clock.now();
    clock.advance(179_999);
    expect(lv.get("cam1")!.state).toBe("online");
    clock.advance(SWEEP_MS + 1);
    expect(lv.get("cam1")!.state).toBe("offline");
    expect(seen.at(-1)!.ts - last).toBeGreaterThanOrEqual(180_000);
  });

  test("a keepalive after the timeout brings it back online (reason keepalive)", () => {
    const { clock, lv, seen } = setup(3_000);
    lv.registered("cam1", clock.now() + 3600_000);
    clock.advance(5_000);
    expect(lv.get("cam1")!.state).toBe("offline");
    lv.heard("cam1", "keepalive");
    expect(seen.at(-1)).toMatchObject({ state: "online", reason: "keepalive" });
  });

  test("registration expiry takes it offline although keepalives still come", () => {
    const { clock, lv, seen } = setup(180_000);
    lv.registered("cam1", clock.now() + 100_000);
    clock.advance(60_000); lv.heard("cam1", "keepalive");
    clock.advance(39_999);
    expect(lv.get("cam1")!.state).toBe("online");
    clock.advance(1_000);
    expect(seen.at(-1)).toMatchObject({ state: "offline", reason: "expired" });
    // heard while not registered: stays offline
    lv.heard("cam1", "keepalive");
    expect(lv.get("cam1")!.state).toBe("offline");
    expect(lv.isRegistered("cam1")).toBe(false);
  });

  test("Expires: 0, BYE, 408 and 481 take it offline at once, with their reasons", () => {
    const { clock, lv, seen } = setup();
    const exp = clock.now() + 3600_000;
    for (const [name, act, reason] of [
      ["a", () => lv.unregistered("a"), "unregistered"],
      ["b", () => lv.lost("b", "bye"), "bye"],
      ["c", () => lv.lost("c", "timeout"), "timeout"],
      ["d", () => lv.lost("d", "no-transaction"), "no-transaction"],
    ] as const) {
      lv.registered(name, exp);
      act();
      expect(lv.get(name)!.state).toBe("offline");
      expect(seen.at(-1)).toMatchObject({ device: name, state: "offline", reason, ts: clock.now() });
    }
    expect(lv.isRegistered("a")).toBe(false);
    expect(lv.isRegistered("b")).toBe(true);
    // a sweep does not bring anyone back; only hearing from them does
    clock.advance(10_000);
    expect(lv.get("b")!.state).toBe("offline");
    lv.heard("b", "keepalive");
    expect(lv.get("b")!.state).toBe("online");
  });

  test("after a restart nothing is online until heard; a device that was online gets an offline transition", () => {
    const { clock, lv, seen } = setup();
    lv.restore("was-on", clock.now() + 3600_000, clock.now() - 1000, true);
    lv.restore("was-off", clock.now() + 3600_000, 0, false);
    expect(seen).toEqual([expect.objectContaining({ device: "was-on", state: "offline", reason: "gateway-restart", previous: "online" })]);
    expect(lv.onlineCount).toBe(0);
    clock.advance(60_000);
    expect(lv.get("was-on")!.state).toBe("offline");
    lv.heard("was-on", "answered");
    expect(seen.at(-1)).toMatchObject({ device: "was-on", state: "online", reason: "answered" });
    expect(lv.heard("unknown", "keepalive")).toBe(false);
  });

  test("a changed window applies at the next sweep", () => {
    let win = 180_000;
    const clock = new SimClock();
    const lv = new Liveness({ clock, windowMs: () => win, onTransition: () => {} });
    lv.start();
    lv.registered("x", clock.now() + 3600_000);
    clock.advance(10_000);
    win = 5_000;
    clock.advance(SWEEP_MS);
    expect(lv.get("x")!.state).toBe("offline");
    lv.stop();
    expect(clock.pending()).toBe(0);
  });

  test("10,000 devices: one sweep timer, not one per device", () => {
    const { clock, lv } = setup();
    for (let i = 0; i < 10_000; i++) lv.registered(`d${i}`, clock.now() + 3600_000);
    expect(clock.pending()).toBe(1);
    const t = performance.now();
    for (let i = 0; i < 40; i++) lv.sweep();
    // informational only (timings are not asserted): one second's worth of sweeps
    console.log(`40 sweeps over 10,000 online devices: ${(performance.now() - t).toFixed(1)} ms`);
    expect(lv.onlineCount).toBe(10_000);
  });
});
