// One conformance suite, run against every transport (as Hono runs one router suite against every
// router): the bridge in this process with its real TCP or RTU stack, pymodbus as the slave.
// Values are written into the slave by Python's struct (an independent codec) and read back by it.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { SystemClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import type { Point } from "../../app/store/outbox.ts";
import { Bridge } from "../../app/bridge/bridge.ts";
import { validateConfig } from "../../app/config/validate.ts";
import { waitFor } from "../helpers/wait.ts";
import type { PyModbus } from "./pymodbus.ts";

export interface Peer {
  /** Starts (or restarts) the slave, with units 1 and 2. */
  start(): Promise<PyModbus>;
  stop(): Promise<void>;
  /** The `tcp` or `rtu` key of a device config pointing at the slave. */
  address(): Record<string, unknown>;
  teardown(): Promise<void>;
}

const ORDERS = [["big", "big"], ["big", "little"], ["little", "big"], ["little", "little"]] as const;
// `back`: what Python's struct gives back when it differs from what was sent (float32 widened to a double).
const VALUES: { type: string; value: unknown; back?: unknown; length?: number; bit?: number }[] = [
  { type: "int16", value: -12345 }, { type: "uint16", value: 54321 },
  { type: "int32", value: -123456789 }, { type: "uint32", value: 3456789012 },
  { type: "int64", value: "-1234567890123456789" }, { type: "uint64", value: "12345678901234567890" },
  { type: "float32", value: 3.14159, back: Math.fround(3.14159) }, { type: "float64", value: -2.718281828459045 },
  { type: "string", value: "Hello, bus", length: 10 }, { type: "bit", value: true, bit: 13 }, { type: "bool", value: true },
];
const width = (t: { type: string; length?: number }) => t.type === "string" ? Math.ceil(t.length! / 2) : ({ int32: 2, uint32: 2, float32: 2, int64: 4, uint64: 4, float64: 4 } as any)[t.type] ?? 1;

/** Typed tags, one per type per order, laid out from `base`. */
function typedTags(base: number, writable = false) {
  const tags: any[] = [];
  let addr = base;
  for (const [b, w] of ORDERS) for (const v of VALUES) {
    tags.push({ name: `${v.type}_${b}_${w}`, area: "holding", address: addr, type: v.type, byteOrder: b, wordOrder: w, writable,
      ...(v.length ? { length: v.length } : {}), ...(v.bit !== undefined ? { bit: v.bit } : {}), _v: v });
    addr += width(v);
  }
  return tags;
}

export function conformance(name: string, peer: Peer): void {
  describe(`bridge over ${name} against pymodbus`, () => {
    let py: PyModbus;
    const clock = new SystemClock();
    const bridges: Bridge[] = [];
    const events: { type: string; device: string }[] = [];
    const points: { device: string; points: Point[] }[] = [];

    const makeBridge = (devices: any[]) => {
      const v = validateConfig({ bridge: { modbus: { devices: devices.map((d) => ({ ...peer.address(), pollMs: 100, timeoutMs: 2000, ...d, tags: d.tags.map(({ _v, ...t }: any) => t) })) } } });
      if (!v.ok) throw new Error(JSON.stringify(v.errors));
      const b = new Bridge(v.config.bridge, {
        clock, log: new LogHub(Date.now, () => {}).for("bridge"),
        addPoints: (device, p) => points.push({ device, points: p }),
        onDown: (e) => events.push({ type: "down", device: e.device }), onUp: (e) => events.push({ type: "up", device: e.device }),
      });
      bridges.push(b);
      b.start();
      return b;
    };
    const tagMap = (b: Bridge, device: string) => new Map((b.tags(device) as any[]).map((t) => [t.name, t]));

    beforeAll(async () => { py = await peer.start(); });
    // Every test's bridges stop, even when it failed: a leftover poller would be a second master on the line.
    afterEach(() => { for (const b of bridges.splice(0)) b.stop(); });
    afterAll(async () => { await peer.teardown(); });

    test("every type in every byte/word order reads what the slave holds", async () => {
      const tags = typedTags(100);
      for (const t of tags) {
        await py.cmd({ op: "set-typed", unit: 1, area: "holding", address: t.address, type: t.type, value: t._v.value, byteOrder: t.byteOrder, wordOrder: t.wordOrder, length: t.length, bit: t.bit });
      }
      await py.cmd({ op: "set", unit: 1, area: "coil", address: 3, values: [1, 0, 1] });
      await py.cmd({ op: "set", unit: 1, area: "discrete", address: 7, values: [1] });
      await py.cmd({ op: "set", unit: 1, area: "input", address: 0, values: [0x4120, 0] });
      const b = makeBridge([{ name: "types", unit: 1, tags: [
        ...tags,
        { name: "coil3", area: "coil", address: 3 }, { name: "coil4", area: "coil", address: 4 }, { name: "coil5", area: "coil", address: 5 },
        { name: "di7", area: "discrete", address: 7 }, { name: "in_f", area: "input", address: 0, type: "float32", scale: 2, offset: 1 },
      ] }]);
      const got = await waitFor("all tags good", () => {
        const m = tagMap(b, "types");
        return [...m.values()].every((t: any) => t.q === "good") ? m : null;
      }, 10_000);
      for (const t of tags) expect({ tag: t.name, v: got.get(t.name)!.v }).toEqual({ tag: t.name, v: t._v.value });
      expect([got.get("coil3")!.v, got.get("coil4")!.v, got.get("coil5")!.v, got.get("di7")!.v]).toEqual([true, false, true, true]);
      expect(got.get("in_f")!.v).toBe(21);
      b.stop();
    }, 30_000);

    test("coalescing: the slave receives the fewest reads, not one per tag", async () => {
      const tags: any[] = [];
      for (let i = 0; i < 20; i++) tags.push({ name: `h${i}`, area: "holding", address: 300 + i * 3, type: "uint16" });  // one read, gaps bridged
      tags.push({ name: "far", area: "holding", address: 600, type: "float32" });                                        // gap too big: a second read
      for (let i = 0; i < 150; i++) tags.push({ name: `in${i}`, area: "input", address: 100 + i, type: "int16" });       // 150 regs: two reads
      for (let i = 0; i < 30; i++) tags.push({ name: `c${i}`, area: "coil", address: 10 + i * 20 });                     // 590 bits: one read
      await py.cmd({ op: "clear" });
      const b = makeBridge([{ name: "co", unit: 2, pollMs: 3_600_000, timeoutMs: 5000, tags }]);   // no timeout retry may blur the count
      const p = b.pollers.get("co")!;
      await waitFor("first cycle", () => p.stats.cycles >= 1, 10_000);
      const reqs = (await py.requests()).filter((r) => r.unit === 2);
      expect(p.blocks.length).toBe(5);
      expect(reqs.length).toBe(5);
      expect(reqs.map((r) => [r.fc, r.address, r.count]).sort()).toEqual([[1, 10, 581], [3, 300, 58], [3, 600, 2], [4, 100, 125], [4, 225, 25]].sort());
      expect(reqs.length).toBeLessThan(tags.length / 30);
      b.stop();
    }, 30_000);

    test("exception responses become tag quality; a refused block is split so good tags stay good", async () => {
      const b = makeBridge([{ name: "exc", unit: 1, tags: [
        { name: "ok", area: "holding", address: 990, type: "uint16" },
        { name: "beyond", area: "holding", address: 998, type: "uint64" },   // 998-1001: past the slave's 1000 registers
      ] }]);
      await py.cmd({ op: "set", unit: 1, area: "holding", address: 990, values: [77] });
      const m = await waitFor("split and settled", () => {
        const t = tagMap(b, "exc");
        return t.get("ok")!.q === "good" && t.get("beyond")!.q === "bad:exception-2" ? t : null;
      }, 10_000);
      expect(m.get("ok")!.v).toBe(77);
      expect(m.get("beyond")!.v).toBe(null);
      expect(b.pollers.get("exc")!.state).toBe("degraded");
      b.stop();
    }, 30_000);

    test("a unit that never answers times out: bad:timeout, then down", async () => {
      const b = makeBridge([{ name: "ghost", unit: 9, timeoutMs: 100, retries: 0, tags: [{ name: "x", area: "holding", address: 0 }] }]);
      await waitFor("down", () => b.pollers.get("ghost")!.state === "down", 10_000);
      expect(tagMap(b, "ghost").get("x")!.q).toBe("bad:timeout");
      expect(events).toContainEqual({ type: "down", device: "ghost" });
      b.stop();
    }, 30_000);

    test("writes honour type and byte/word order and are read back from the slave", async () => {
      const tags = typedTags(400, true);
      const coil = { name: "relay", area: "coil", address: 50, writable: true };
      const past = { name: "past", area: "holding", address: 999, type: "uint32", writable: true };   // 999-1000: the slave has 1000
      const b = makeBridge([{ name: "w", unit: 1, pollMs: 1000, tags: [...tags, coil, past, { name: "ro", area: "holding", address: 499 }] }]);
      for (const t of tags) {
        const reply = await b.write({ device: "w", tag: t.name, value: t._v.value });
        expect(reply).toMatchObject({ ok: true, device: "w", tag: t.name });
        const back = await py.cmd({ op: "get-typed", unit: 1, area: "holding", address: t.address, type: t.type, byteOrder: t.byteOrder, wordOrder: t.wordOrder, length: t.length, bit: t.bit });
        expect({ tag: t.name, v: back.value }).toEqual({ tag: t.name, v: t._v.back ?? t._v.value });
      }
      expect(await b.write({ device: "w", tag: "relay", value: true })).toMatchObject({ ok: true, response: { fc: 5 } });
      expect((await py.cmd({ op: "get", unit: 1, area: "coil", address: 50, count: 1 })).values).toEqual([1]);
      // Refused by the device: its exception comes back.
      expect(await b.write({ device: "w", tag: "past", value: 1 })).toMatchObject({ ok: false, status: 502, exception: 2, quality: "bad:exception-2" });
      // Refused before anything is sent.
      await py.cmd({ op: "clear" });
      expect(await b.write({ device: "w", tag: "uint16_big_big", value: 70000 })).toMatchObject({ ok: false, status: 400 });
      expect(await b.write({ device: "w", tag: "ro", value: 1 })).toMatchObject({ ok: false, status: 403 });
      expect(await b.write({ device: "w", tag: "nope", value: 1 })).toMatchObject({ ok: false, status: 404 });
      expect(await b.write({ device: "w", tag: "int16_big_big", value: "abc" })).toMatchObject({ ok: false, status: 400 });
      expect((await py.requests()).filter((r) => r.fc >= 5)).toEqual([]);
      b.stop();
    }, 30_000);

    test("two units on one line, polled fast, never collide", async () => {
      await py.cmd({ op: "set", unit: 1, area: "holding", address: 700, values: [1111] });
      await py.cmd({ op: "set", unit: 2, area: "holding", address: 700, values: [2222] });
      const b = makeBridge([
        { name: "u1", unit: 1, pollMs: 20, timeoutMs: 5000, tags: [{ name: "v", area: "holding", address: 700 }] },
        { name: "u2", unit: 2, pollMs: 20, timeoutMs: 5000, tags: [{ name: "v", area: "holding", address: 700 }] },
      ]);
      expect(b.lines.size).toBe(1);
      await waitFor("30 cycles each", () => b.pollers.get("u1")!.stats.cycles >= 30 && b.pollers.get("u2")!.stats.cycles >= 30, 20_000);
      expect(tagMap(b, "u1").get("v")!.v).toBe(1111);
      expect(tagMap(b, "u2").get("v")!.v).toBe(2222);
      const line = [...b.lines.values()][0];
      expect({ timeouts: line.stats.timeouts, frameErrors: line.stats.frameErrors }).toEqual({ timeouts: 0, frameErrors: 0 });
      b.stop();
    }, 30_000);

    test("a slave that disappears and comes back: down, then up, values good again", async () => {
      await py.cmd({ op: "set", unit: 1, area: "holding", address: 10, values: [42] });
      const b = makeBridge([{ name: "flaky", unit: 1, pollMs: 50, timeoutMs: 500, retries: 0, tags: [{ name: "v", area: "holding", address: 10 }] }]);
      const p = b.pollers.get("flaky")!;
      await waitFor("ok", () => p.state === "ok", 10_000);
      await peer.stop();
      await waitFor("down", () => p.state === "down", 15_000);
      expect(tagMap(b, "flaky").get("v")!.q).toMatch(/^bad:/);
      py = await peer.start();
      await py.cmd({ op: "set", unit: 1, area: "holding", address: 10, values: [43] });
      await waitFor("up again", () => p.state === "ok" && tagMap(b, "flaky").get("v")!.v === 43, 20_000);
      const mine = events.filter((e) => e.device === "flaky").map((e) => e.type);
      expect(mine).toEqual(["down", "up"]);
      const vs = points.filter((x) => x.device === "flaky").flatMap((x) => x.points.map((q) => q.q));
      expect(vs).toContain("good");
      b.stop();
    }, 60_000);
  });
}
