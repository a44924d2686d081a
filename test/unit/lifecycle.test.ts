import { describe, expect, test } from "bun:test";
import { Lifecycle } from "../../app/core/lifecycle.ts";
import { EventBus } from "../../app/core/bus.ts";
import { SimClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";

describe("lifecycle", () => {
  test("starts in order, stops in reverse", async () => {
    const seen: string[] = [];
    const l = new Lifecycle();
    for (const n of ["store", "uplink", "web"]) l.add({ name: n, start: () => { seen.push(`+${n}`); }, stop: () => { seen.push(`-${n}`); } });
    await l.start();
    await l.stop();
    expect(seen).toEqual(["+store", "+uplink", "+web", "-web", "-uplink", "-store"]);
  });

  test("a service that fails to start stops the ones already started, and the error names it", async () => {
    const seen: string[] = [];
    const l = new Lifecycle();
    l.add({ name: "store", start: () => { seen.push("+store"); }, stop: () => { seen.push("-store"); } });
    l.add({ name: "web", start: () => { throw new Error("address in use"); }, stop: () => { seen.push("-web"); } });
    await expect(l.start()).rejects.toThrow("web: address in use");
    expect(seen).toEqual(["+store", "-store"]);
  });
});

describe("core", () => {
  test("a throwing listener does not stop the others", () => {
    const bus = new EventBus();
    const got: string[] = [];
    const origError = console.error;
    console.error = () => {};
    bus.on("uplink.state", () => { throw new Error("bad listener"); });
    bus.on("uplink.state", (e) => got.push(e.state));
    bus.emit("uplink.state", { state: "connected" });
    console.error = origError;
    expect(got).toEqual(["connected"]);
  });

  test("SimClock fires timers in due order, intervals repeatedly", () => {
    const c = new SimClock(0);
    const seen: string[] = [];
    c.setTimeout(() => seen.push(`t300@${c.now()}`), 300);
    const iv = c.setInterval(() => seen.push(`i@${c.now()}`), 200);
    c.setTimeout(() => seen.push(`t100@${c.now()}`), 100);
    c.advance(500);
    c.clearInterval(iv);
    c.advance(1000);
    expect(seen).toEqual(["t100@100", "i@200", "t300@300", "i@400"]);
    expect(c.now()).toBe(1500);
  });

  test("log levels change at run time, per module", () => {
    const lines: string[] = [];
    const hub = new LogHub(() => 1, (l) => lines.push(l));
    const a = hub.for("sip"), b = hub.for("bridge");
    a.debug("hidden");
    hub.setLevel("debug", "sip");
    a.debug("shown");
    b.debug("hidden too");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["shown"]);
    expect(JSON.parse(lines[0])).toEqual({ ts: 1, level: "debug", module: "sip", msg: "shown" });
  });
});
