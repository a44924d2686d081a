// The built-in sources on simulated time: sim.counter (continuous across restarts, rate honoured,
// no gap when a write fails) and self-telemetry on device `gateway`.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import { openStore } from "../../app/store/db.ts";
import { KV } from "../../app/store/kv.ts";
import { Outbox } from "../../app/store/outbox.ts";
import { SimCounter } from "../../app/sources/sim-counter.ts";
import { SelfTelemetry } from "../../app/sources/self-telemetry.ts";
import { SystemMetricsReader } from "../../app/sources/system-metrics.ts";

const log = new LogHub(Date.now, () => {}).for("test");

function values(ob: Outbox, device: string): number[] {
  return ob.take(1000, 10_000).filter((m) => m.topic === `telemetry/${device}`).flatMap((m) => JSON.parse(m.payload).points.map((p: any) => p.v));
}

describe("sim.counter", () => {
  test("emits rateHz consecutive integers per second, continuing across a restart", () => {
    const dir = mkdtempSync(join(tmpdir(), "src-"));
    const clock = new SimClock();
    let s = openStore(dir);
    let ob = new Outbox(s.db, { maxBytes: 1 << 24 });
    let c = new SimCounter({ rateHz: 50, outbox: ob, kv: new KV(s.db), clock, log });
    c.start();
    clock.advance(10_000);
    c.stop();
    const first = values(ob, "sim-counter");
    expect(first).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    s.db.close();
    s = openStore(dir);
    ob = new Outbox(s.db, { maxBytes: 1 << 24 });
    c = new SimCounter({ rateHz: 3, outbox: ob, kv: new KV(s.db), clock, log });
    c.start();
    clock.advance(2_000);
    c.stop();
    expect(values(ob, "sim-counter").slice(-6)).toEqual([501, 502, 503, 504, 505, 506]);
    s.db.close();
  });

  test("a failed write moves neither the counter nor the buffer: no gap", () => {
    const s = openStore(mkdtempSync(join(tmpdir(), "src-")));
    const clock = new SimClock();
    const ob = new Outbox(s.db, { maxBytes: 1 << 24 });
    const kv = new KV(s.db);
    const c = new SimCounter({ rateHz: 10, outbox: ob, kv, clock, log });
    c.start();
    clock.advance(1000);
    const pages = (s.db.query("PRAGMA page_count").get() as any).page_count;
    s.db.exec(`PRAGMA max_page_count = ${pages}`);
    // Fill the last free pages so the counter's next writes fail as on a full disk.
    for (let i = 0; i < 100_000; i++) {
      try { ob.addPoints("filler", [{ tag: "x", v: "y".repeat(20), ts: i }], "bulk"); } catch { break; }
    }
    const before = kv.getNumber("sim.counter");
    clock.advance(3000);
    expect(kv.getNumber("sim.counter")).toBe(before);
    s.db.exec("PRAGMA max_page_count = 1073741823");
    clock.advance(1000);
    c.stop();
    const v = values(ob, "sim-counter");
    expect(v).toEqual(Array.from({ length: v.length }, (_, i) => i + 1));
    expect(v.length).toBeGreaterThanOrEqual(20);
    s.db.close();
  });
});

describe("self telemetry", () => {
  test("cpu, memory and disk of this machine on device `gateway`, as bulk data", async () => {
    const s = openStore(mkdtempSync(join(tmpdir(), "src-")));
    const ob = new Outbox(s.db, { maxBytes: 1 << 24 });
    const clock = new SimClock();
    const t = new SelfTelemetry({ intervalSec: 60, metrics: new SystemMetricsReader(tmpdir()), outbox: ob, clock, log });
    await t.sample();
    const [msg] = ob.take(10, 100);
    expect(msg.prio).toBe("bulk");
    expect(msg.topic).toBe("telemetry/gateway");
    const pts = Object.fromEntries(JSON.parse(msg.payload).points.map((p: any) => [p.tag, p.v]));
    for (const k of ["cpu", "mem", "disk"]) {
      expect(typeof pts[k]).toBe("number");
      expect(pts[k]).toBeGreaterThanOrEqual(0);
      expect(pts[k]).toBeLessThanOrEqual(100);
    }
    expect(pts.mem).toBeGreaterThan(0);   // a running machine uses some memory
    s.db.close();
  });
});
