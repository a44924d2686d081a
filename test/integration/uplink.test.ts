// The MQTT uplink against a real mosquitto: outages, priorities, status and Last Will, refused
// credentials, a full store. The gateway runs in-process here so tests can add data of each priority.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Gateway } from "../../app/gateway.ts";
import { validateConfig } from "../../app/config/validate.ts";
import { LogHub } from "../../app/core/logger.ts";
import { boards } from "../../hw/boards/index.ts";
import { collect, makeCerts, Mosquitto } from "../helpers/mosquitto.ts";
import { freePort } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); }, 30_000);

async function gateway(overrides: Record<string, any>): Promise<Gateway> {
  const v = validateConfig({ web: { listen: `127.0.0.1:${await freePort()}` }, telemetry: { selfInterval: 0 }, sip: { enabled: false }, ...overrides });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const gw = new Gateway({ config: v.config, configPath: null, dataDir: mkdtempSync(join(tmpdir(), "gwu-")), board: boards.sim, logHub: new LogHub(Date.now, () => {}) });
  await gw.start();
  cleanups.push(() => gw.stop());
  return gw;
}

describe("MQTT uplink", () => {
  test("broker down for a while, then up: everything delivered, critical first, in order per priority", async () => {
    const port = await freePort();
    const gw = await gateway({ gateway: { id: "gw-outage" }, uplink: { mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnectMinMs: 100, reconnectMaxMs: 200, batchPoints: 7 } } });
    await waitFor("buffering", () => gw.uplink.status.state === "buffering");
    for (let i = 0; i < 50; i++) {
      gw.outbox.addPoints("meter", [{ tag: "bulk", v: i, ts: i }], "bulk");
      gw.outbox.addPoints("meter", [{ tag: "normal", v: i, ts: i }], "normal");
      if (i % 10 === 0) gw.outbox.addEvent("test.alarm", { n: i }, "critical");
    }
    // Hold the drain until our subscriber listens, or the first messages could pass before it does.
    gw.uplink.drainEnabled = false;
    const broker = new Mosquitto({ port });
    cleanups.push(() => broker.stop());
    await broker.start();
    const sub = await collect(broker.url, "gw/gw-outage/#");
    cleanups.push(() => sub.client.endAsync());
    await waitFor("reconnected", () => gw.uplink.status.state === "connected", 10_000);
    expect(gw.outbox.stats().rows).toBeGreaterThanOrEqual(105);
    gw.uplink.drainEnabled = true;
    gw.uplink.drain();
    await waitFor("buffer drained", () => gw.outbox.stats().rows === 0, 20_000);
    await waitFor("all arrived", () => sub.messages.filter((m) => !m.retain && !m.topic.endsWith("/status")).length >= 5 + 2 * Math.ceil(50 / 7), 10_000);
    const data = sub.messages.filter((m) => m.topic.endsWith("/telemetry/meter") || (m.topic.endsWith("/events") && m.payload.includes("test.alarm")));
    const kinds = data.map((m) => (m.topic.endsWith("/events") ? "critical" : JSON.parse(m.payload).points[0].tag));
    // Critical events went first, then normal, then bulk.
    expect(kinds.slice(0, 5)).toEqual(["critical", "critical", "critical", "critical", "critical"]);
    expect(kinds.indexOf("bulk")).toBeGreaterThan(kinds.lastIndexOf("normal"));
    const values = (tag: string) => data.filter((m) => m.topic.endsWith("/meter")).flatMap((m) => JSON.parse(m.payload).points).filter((p: any) => p.tag === tag).map((p: any) => p.v);
    expect(values("normal")).toEqual([...Array(50).keys()]);
    expect(values("bulk")).toEqual([...Array(50).keys()]);
    expect(data.filter((m) => m.topic.endsWith("/events")).map((m) => JSON.parse(m.payload).n)).toEqual([0, 10, 20, 30, 40]);
    // Seq rises per gateway across all messages sent.
    const seqs = data.map((m) => JSON.parse(m.payload).seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    // Down again (broker killed), data buffers, and comes through after the broker returns.
    await broker.stop();
    await sub.client.endAsync(true);
    await waitFor("buffering again", () => gw.uplink.status.state === "buffering");
    gw.outbox.addPoints("meter", [{ tag: "normal", v: 1000, ts: 1 }], "normal");
    expect(gw.outbox.stats().rows).toBeGreaterThanOrEqual(1);
    // The first subscriber was cut with the broker: listen afresh before the gateway drains.
    gw.uplink.drainEnabled = false;
    await broker.start();
    const sub2 = await collect(broker.url, "gw/gw-outage/telemetry/#");
    cleanups.push(() => sub2.client.endAsync());
    await waitFor("reconnected", () => gw.uplink.status.state === "connected", 10_000);
    gw.uplink.drainEnabled = true;
    gw.uplink.drain();
    await waitFor("the point after the second outage", () => sub2.messages.some((m) => m.payload.includes('"v":1000')), 20_000);
  }, 60_000);

  test("retained status online; a clean stop says offline", async () => {
    const broker = await new Mosquitto().start();
    cleanups.push(() => broker.stop());
    // Short keepalive so the broker notices the silent client quickly.
    const gw = await gateway({ gateway: { id: "gw-will" }, uplink: { mqtt: { url: broker.url, keepalive: 5 } } });
    await waitFor("connected", () => gw.uplink.status.state === "connected");
    const sub = await collect(broker.url, "gw/gw-will/status");
    cleanups.push(() => sub.client.endAsync());
    await waitFor("retained online status", () => sub.messages.find((m) => m.retain && JSON.parse(m.payload).online === true));
    const status = JSON.parse(sub.messages[0].payload);
    expect(status).toMatchObject({ online: true, mode: expect.any(String), version: expect.any(String), ts: expect.any(Number) });
    // A clean stop publishes offline itself.
    await gw.stop();
    await waitFor("offline status", () => sub.messages.find((m) => JSON.parse(m.payload).online === false));
  }, 30_000);

  test("a broker that refuses the credentials: clear status, data kept", async () => {
    const broker = await new Mosquitto({ passwords: { field: "right-password" } }).start();
    cleanups.push(() => broker.stop());
    const gw = await gateway({ gateway: { id: "gw-creds" }, uplink: { mqtt: { url: broker.url, username: "field", password: "wrong", reconnectMinMs: 100, reconnectMaxMs: 200 } } });
    gw.outbox.addPoints("meter", [{ tag: "t", v: 1, ts: 1 }], "normal");
    await waitFor("refused", () => gw.uplink.status.state === "refused", 10_000);
    expect(gw.uplink.status.detail).toContain("refused the credentials");
    expect(gw.store.db.query("SELECT COUNT(*) n FROM outbox WHERE topic = 'meter'").get()).toEqual({ n: 1 });
    // The status API says the same.
    const res = await gw.web.handle(new Request(`http://x/api/uplink`), "test");
    expect(res.status).toBe(401);   // no session: nothing leaks
  }, 30_000);

  test("right credentials are accepted", async () => {
    const broker = await new Mosquitto({ passwords: { field: "right-password" } }).start();
    cleanups.push(() => broker.stop());
    const gw = await gateway({ gateway: { id: "gw-creds-ok" }, uplink: { mqtt: { url: broker.url, username: "field", password: "right-password" } } });
    gw.outbox.addPoints("meter", [{ tag: "t", v: 1, ts: 1 }], "normal");
    await waitFor("drained", () => gw.uplink.status.state === "connected" && gw.outbox.stats().rows === 0, 10_000);
  }, 30_000);

  test("store full: oldest bulk then normal dropped, critical kept, counts reported and sent", async () => {
    const port = await freePort();
    const gw = await gateway({ gateway: { id: "gw-full" }, store: { maxBytes: 65536 }, uplink: { mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnectMinMs: 100, reconnectMaxMs: 200 } } });
    for (let i = 0; i < 20; i++) gw.outbox.addEvent("test.alarm", { n: i }, "critical");
    for (let i = 0; i < 600; i++) gw.outbox.addPoints("meter", [{ tag: "bulk", v: i, ts: i }], "bulk");
    for (let i = 0; i < 1200; i++) gw.outbox.addPoints("meter", [{ tag: "normal", v: i, ts: i }], "normal");
    const st = gw.outbox.stats();
    expect(st.bytes).toBeLessThanOrEqual(65536);
    expect(st.byPriority.bulk).toBe(0);
    expect(st.dropped.bulk).toBe(600);
    expect(st.dropped.normal).toBeGreaterThan(0);
    expect(gw.store.db.query("SELECT COUNT(*) n FROM outbox WHERE topic = 'test.alarm'").get()).toEqual({ n: 20 });
    const cookieless = await gw.web.handle(new Request("http://x/metrics"), "t");
    expect(cookieless.status).toBe(401);
    expect(gw.metrics.render()).toContain(`gateway_buffer_dropped_total{priority="bulk"} 600`);
    // The drops are themselves reported upstream as events once the broker is back.
    gw.uplink.drainEnabled = false;
    const broker = await new Mosquitto({ port }).start();
    cleanups.push(() => broker.stop());
    const sub = await collect(broker.url, "gw/gw-full/events");
    cleanups.push(() => sub.client.endAsync());
    await waitFor("reconnected", () => gw.uplink.status.state === "connected", 10_000);
    gw.uplink.drainEnabled = true;
    gw.uplink.drain();
    await waitFor("store.dropped event", () => sub.messages.find((m) => JSON.parse(m.payload).type === "store.dropped" && JSON.parse(m.payload).priority === "bulk"), 10_000);
    await waitFor("all 20 critical events", () => sub.messages.filter((m) => JSON.parse(m.payload).type === "test.alarm").length === 20, 10_000);
  }, 30_000);

  test("mqtts:// with a CA from config; a server the CA did not sign is refused", async () => {
    const certs = makeCerts(mkdtempSync(join(tmpdir(), "tls-")));
    const broker = await new Mosquitto({ tls: certs }).start();
    cleanups.push(() => broker.stop());
    const gw = await gateway({ gateway: { id: "gw-tls" }, uplink: { mqtt: { url: broker.url, ca: certs.ca } } });
    gw.outbox.addPoints("meter", [{ tag: "t", v: 1, ts: 1 }], "normal");
    await waitFor("connected over TLS and drained", () => gw.uplink.status.state === "connected" && gw.outbox.stats().rows === 0, 10_000);
    // Without our CA the server's certificate is not trusted: no connection, data stays.
    const other = makeCerts(mkdtempSync(join(tmpdir(), "tls-")));
    const gw2 = await gateway({ gateway: { id: "gw-tls2" }, uplink: { mqtt: { url: broker.url, ca: other.ca, reconnectMinMs: 100, reconnectMaxMs: 200 } } });
    gw2.outbox.addPoints("meter", [{ tag: "t", v: 1, ts: 1 }], "normal");
    await waitFor("certificate error reported", () => /certificate|self.signed|verify/i.test(gw2.uplink.status.lastError ?? ""), 10_000);
    expect(gw2.uplink.status.state).not.toBe("connected");
    expect(gw2.store.db.query("SELECT COUNT(*) n FROM outbox WHERE topic = 'meter'").get()).toEqual({ n: 1 });
  }, 30_000);

  test("mutual TLS: a broker that requires a client certificate accepts ours from config", async () => {
    const certs = makeCerts(mkdtempSync(join(tmpdir(), "tls-")));
    const broker = await new Mosquitto({ tls: { ...certs, requireClientCert: { cert: certs.clientCert, key: certs.clientKey } } }).start();
    cleanups.push(() => broker.stop());
    const without = await gateway({ gateway: { id: "gw-mtls-no" }, uplink: { mqtt: { url: broker.url, ca: certs.ca, reconnectMinMs: 100, reconnectMaxMs: 200 } } });
    const gw = await gateway({ gateway: { id: "gw-mtls" }, uplink: { mqtt: { url: broker.url, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } } });
    gw.outbox.addPoints("meter", [{ tag: "t", v: 1, ts: 1 }], "normal");
    await waitFor("connected with a client certificate and drained", () => gw.uplink.status.state === "connected" && gw.outbox.stats().rows === 0, 10_000);
    await waitFor("the one without a certificate has an error", () => without.uplink.status.lastError !== null, 10_000);
    expect(without.uplink.status.state).not.toBe("connected");
  }, 30_000);
});
