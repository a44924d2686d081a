import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../app/store/db.ts";
import { Outbox, type Priority } from "../../app/store/outbox.ts";

function fresh(maxBytes = 1 << 30) {
  const { db } = openStore(mkdtempSync(join(tmpdir(), "ob-")));
  const drops: [Priority, number][] = [];
  return { db, ob: new Outbox(db, { maxBytes, onDrop: (p, n) => drops.push([p, n]) }), drops };
}

describe("outbox", () => {
  test("packs points per device, events alone, critical first, with rising seq", () => {
    const { ob } = fresh();
    ob.addPoints("m1", [{ tag: "a", v: 1, ts: 1 }, { tag: "b", v: 2, ts: 1 }], "normal");
    ob.addEvent("bridge.device.down", { device: "m1" }, "critical");
    ob.addPoints("m2", [{ tag: "c", v: 3, ts: 2 }], "bulk");
    ob.addPoints("m1", [{ tag: "a", v: 4, ts: 3 }], "normal");
    const msgs = ob.take(10, 100);
    expect(msgs.map((m) => [m.prio, m.topic, m.count])).toEqual([
      ["critical", "events", 1], ["normal", "telemetry/m1", 3], ["bulk", "telemetry/m2", 1],
    ]);
    expect(msgs.map((m) => m.seq)).toEqual([1, 2, 3]);
    const t = JSON.parse(msgs[1].payload);
    expect(t.seq).toBe(2);
    expect(t.points.map((p: any) => p.v)).toEqual([1, 2, 4]);
    expect(t.points[0]).toEqual({ tag: "a", v: 1, ts: 1, q: "good" });
    const ev = JSON.parse(msgs[0].payload);
    expect(ev).toMatchObject({ seq: 1, type: "bridge.device.down", device: "m1" });
    expect(typeof ev.id).toBe("string");
  });

  test("an unacknowledged message is resent with the same seq and content; ack deletes it", () => {
    const { ob } = fresh();
    ob.addPoints("m1", Array.from({ length: 5 }, (_, i) => ({ tag: "n", v: i, ts: i })));
    const first = ob.take(10, 2);
    expect(first.map((m) => m.count)).toEqual([2, 2, 1]);
    // In flight: not offered again.
    expect(ob.take(10, 2, new Set(first.map((m) => m.seq)))).toEqual([]);
    // Connection lost: offered again, identical.
    const again = ob.take(10, 2);
    expect(again).toEqual(first);
    expect(ob.ack(first[0].seq)).toBe(2);
    expect(ob.ack(first[0].seq)).toBe(0);
    expect(ob.stats().rows).toBe(3);
    ob.addPoints("m1", [{ tag: "n", v: 99, ts: 9 }]);
    const third = ob.take(10, 2);
    expect(third.map((m) => m.seq)).toEqual([first[1].seq, first[2].seq, first[2].seq + 1]);
  });

  test("when full, oldest bulk then normal go first; critical is kept; drops are counted", () => {
    const { ob, drops } = fresh(5000);
    ob.addEvent("crit", { n: 0 }, "critical");
    for (let i = 0; i < 20; i++) ob.addPoints("b", [{ tag: "x", v: i, ts: i }], "bulk");
    for (let i = 0; i < 20; i++) ob.addPoints("n", [{ tag: "x", v: i, ts: i }], "normal");
    expect(ob.stats().bytes).toBeLessThanOrEqual(5000);
    for (let i = 0; i < 60; i++) ob.addPoints("n", [{ tag: "x", v: 100 + i, ts: i }], "normal");
    const st = ob.stats();
    expect(st.bytes).toBeLessThanOrEqual(5000);
    expect(st.byPriority.critical).toBe(1);
    expect(st.byPriority.bulk).toBe(0);
    expect(st.dropped.bulk).toBe(20);
    expect(st.dropped.normal).toBeGreaterThan(0);
    expect(drops.some(([p]) => p === "bulk")).toBe(true);
    // The newest normal data survived, the oldest went.
    const vals = ob.take(100, 1000).filter((m) => m.topic === "telemetry/n").flatMap((m) => JSON.parse(m.payload).points.map((p: any) => p.v));
    expect(vals[vals.length - 1]).toBe(159);
    expect(vals[0]).toBeGreaterThan(0);
    // Critical is never dropped, even past the bound.
    for (let i = 0; i < 100; i++) ob.addEvent("crit", { n: i + 1 }, "critical");
    expect(ob.stats().byPriority.critical).toBe(101);
  });

  test("state survives reopening the database", () => {
    const dir = mkdtempSync(join(tmpdir(), "ob-"));
    const a = openStore(dir);
    const ob = new Outbox(a.db, { maxBytes: 1 << 20 });
    ob.addPoints("m", [{ tag: "t", v: 1, ts: 1 }, { tag: "t", v: 2, ts: 2 }]);
    const sent = ob.take(1, 10);
    const bytes = ob.stats().bytes;
    a.db.close();
    const b = openStore(dir);
    const ob2 = new Outbox(b.db, { maxBytes: 1 << 20 });
    expect(ob2.take(1, 10)).toEqual(sent);
    expect(ob2.stats().bytes).toBe(bytes);
  });
});

describe("drop reporter", () => {
  test("one store.dropped event per priority per interval, with the count since the last", async () => {
    const { SimClock } = await import("../../app/core/clock.ts");
    const { EventBus } = await import("../../app/core/bus.ts");
    const { DropReporter } = await import("../../app/store/drop-reporter.ts");
    const clock = new SimClock();
    const bus = new EventBus();
    const seen: unknown[] = [];
    bus.on("store.dropped", (e) => seen.push(e));
    const r = new DropReporter(bus, clock, 10_000);
    r.dropped("bulk", 5);
    r.dropped("bulk", 7);
    expect(seen).toEqual([]);                       // never from inside the outbox's transaction
    clock.advance(0);
    expect(seen).toEqual([{ priority: "bulk", count: 12 }]);
    r.dropped("bulk", 1);
    r.dropped("normal", 2);
    clock.advance(9_999);
    expect(seen).toHaveLength(1);
    clock.advance(1);
    expect(seen.slice(1)).toEqual([{ priority: "bulk", count: 1 }, { priority: "normal", count: 2 }]);
  });
});

describe("event recorder", () => {
  test("published bus events of one turn are stored together, in order; others are not stored", async () => {
    const { EventBus } = await import("../../app/core/bus.ts");
    const { LogHub } = await import("../../app/core/logger.ts");
    const { EventRecorder } = await import("../../app/store/event-recorder.ts");
    const { ob } = fresh();
    const bus = new EventBus();
    const rec = new EventRecorder({ bus, outbox: ob, log: new LogHub(Date.now, () => {}).for("t") });
    rec.publish("uplink.state", "critical");
    let writes = 0;
    const addEvents = ob.addEvents.bind(ob);
    ob.addEvents = (events) => { writes++; return addEvents(events); };
    for (const state of ["a", "b", "c"]) bus.emit("uplink.state", { state });
    bus.emit("config.changed", { paths: ["x"] });          // not published: stays inside the box
    expect(ob.stats().rows).toBe(0);                        // written at the end of the turn
    await Promise.resolve();
    await Promise.resolve();
    const msgs = ob.take(10, 10);
    expect(msgs.map((m) => [m.prio, JSON.parse(m.payload).type, JSON.parse(m.payload).state])).toEqual([
      ["critical", "uplink.state", "a"], ["critical", "uplink.state", "b"], ["critical", "uplink.state", "c"],
    ]);
    expect(writes).toBe(1);                                  // one transaction for the three
    bus.emit("uplink.state", { state: "d" });
    rec.flush();                                           // on stop: nothing left in memory
    expect(ob.stats().byPriority.critical).toBe(4);
  });
});
