// The data path against a real mosquitto: nothing the broker did not acknowledge is ever lost,
// through broker outages and kill -9 of the gateway while buffering and while flushing.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { collect, Mosquitto } from "../helpers/mosquitto.ts";
import { GatewayProcess } from "../helpers/gateway-process.ts";
import { freePort } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

function counterValues(messages: { payload: string }[]): number[] {
  return messages.flatMap((m) => JSON.parse(m.payload).points.map((p: { v: number }) => p.v));
}

function readCounter(dataDir: string): { counter: number; rows: number } {
  const db = new Database(join(dataDir, "gateway.db"), { readonly: true });
  try {
    const counter = Number((db.query("SELECT v FROM kv WHERE k = 'sim.counter'").get() as { v: string }).v);
    const rows = (db.query("SELECT COUNT(*) n FROM outbox WHERE topic = 'sim-counter'").get() as { n: number }).n;
    return { counter, rows };
  } finally { db.close(); }
}

describe("store and forward with a real broker", () => {
  test("the Last Will says offline (retained) when the box vanishes", async () => {
    const broker = await new Mosquitto().start();
    cleanups.push(() => broker.stop());
    const gw = new GatewayProcess({ config: { gateway: { id: "gw-lwt" }, uplink: { mqtt: { url: broker.url } } } });
    cleanups.push(() => gw.kill());
    await gw.start();
    const sub = await collect(broker.url, "gw/gw-lwt/status");
    cleanups.push(() => sub.client.endAsync());
    await waitFor("online", () => sub.messages.find((m) => JSON.parse(m.payload).online === true), 10_000);
    await gw.kill("SIGKILL");
    await waitFor("will: offline", () => sub.messages.find((m) => JSON.parse(m.payload).online === false), 10_000);
    // Retained: a cloud service that subscribes later still sees the box offline.
    const late = await collect(broker.url, "gw/gw-lwt/status");
    cleanups.push(() => late.client.endAsync());
    await waitFor("retained offline", () => late.messages.find((m) => m.retain && JSON.parse(m.payload).online === false), 5_000);
  }, 30_000);

  test("kill -9 while buffering and while flushing: sim.counter arrives with no gap", async () => {
    const port = await freePort();
    const broker = new Mosquitto({ port });
    cleanups.push(() => broker.stop());
    const id = "gw-kill9";
    const base = { gateway: { id }, uplink: { mqtt: { url: `mqtt://127.0.0.1:${port}`, batchPoints: 50, maxInflight: 4, reconnectMinMs: 100, reconnectMaxMs: 300 } }, telemetry: { selfInterval: 0 } };

    // 1. Broker down: the gateway buffers. Kill -9 while buffering.
    const gw1 = new GatewayProcess({ config: { ...base, sim: { counter: { rateHz: 2000 } } } });
    cleanups.push(() => gw1.kill());
    await gw1.start();
    const cookie = await gw1.login();
    await waitFor("3000 points buffered", async () => {
      const b = await (await fetch(`${gw1.base}/api/buffer`, { headers: { cookie } })).json();
      return b.rows >= 3000;
    }, 30_000);
    await gw1.kill("SIGKILL");
    const afterFirstKill = readCounter(gw1.dataDir);
    expect(afterFirstKill.rows).toBe(afterFirstKill.counter);   // every counted value is buffered

    // 2. Broker up, a subscriber listening; restart and kill -9 while the buffer is flushing.
    await broker.start();
    const sub = await collect(broker.url, `gw/${id}/telemetry/sim-counter`);
    cleanups.push(() => sub.client.endAsync());
    const gw2 = new GatewayProcess({ dataDir: gw1.dataDir, config: { ...base, sim: { counter: { rateHz: 2000 } } } });
    cleanups.push(() => gw2.kill());
    await gw2.start();
    await waitFor("flushing under way", () => sub.messages.length >= 10, 30_000, 5);
    await gw2.kill("SIGKILL");
    const mid = readCounter(gw1.dataDir);
    expect(mid.rows).toBeGreaterThan(0);                         // killed before the flush ended

    // 3. Restart with the counter off; everything left is delivered.
    const gw3 = new GatewayProcess({ dataDir: gw1.dataDir, config: { ...base, sim: { counter: { rateHz: 0 } } } });
    cleanups.push(() => gw3.kill());
    await gw3.start();
    const final = readCounter(gw1.dataDir).counter;
    expect(final).toBeGreaterThanOrEqual(mid.counter);
    await waitFor(`all ${final} values received`, () => new Set(counterValues(sub.messages)).size >= final, 60_000);
    const got = new Set(counterValues(sub.messages));
    const missing: number[] = [];
    for (let n = 1; n <= final; n++) if (!got.has(n)) missing.push(n);
    expect(missing).toEqual([]);
    expect(Math.max(...got)).toBe(final);

    // A resent message carries the same seq and the same points: the cloud can drop duplicates by seq.
    const bySeq = new Map<number, string>();
    for (const m of sub.messages) {
      const { seq, points } = JSON.parse(m.payload);
      const key = JSON.stringify(points);
      if (bySeq.has(seq)) expect(bySeq.get(seq)).toBe(key);
      bySeq.set(seq, key);
    }
    expect(await gw3.kill("SIGTERM")).toBe(0);     // a clean stop exits 0 (systemd: not a failure)
    expect(gw3.output).toContain("SIGTERM: stopping");
    expect(readCounter(gw1.dataDir).rows).toBe(0);
  }, 120_000);
});
