// Remote management over MQTT against a real broker: commands and replies, MQTT 5 request/response,
// desired/reported configuration, and commands sent while the box was away.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Gateway } from "../../app/gateway.ts";
import { validateConfig } from "../../app/config/validate.ts";
import { saveConfigFile } from "../../app/config/file.ts";
import { LogHub } from "../../app/core/logger.ts";
import { boards } from "../../hw/boards/index.ts";
import { collect, connectClient, Mosquitto } from "../helpers/mosquitto.ts";
import { freePort } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); }, 30_000);

async function gateway(id: string, url: string, dataDir = mkdtempSync(join(tmpdir(), "gwm-")), protocolVersion: 4 | 5 = 5): Promise<Gateway> {
  const configPath = join(mkdtempSync(join(tmpdir(), "gwm-cfg-")), "gateway.yaml");
  const doc = { gateway: { id }, web: { listen: `127.0.0.1:${await freePort()}` }, telemetry: { selfInterval: 0 }, sip: { enabled: false }, uplink: { mqtt: { url, username: "box", password: "top-secret", protocolVersion } } };
  saveConfigFile(configPath, doc);
  const v = validateConfig(doc);
  if (!v.ok) throw new Error("config");
  const gw = new Gateway({ config: v.config, configPath, dataDir, board: boards.sim, logHub: new LogHub(Date.now, () => {}) });
  await gw.start();
  cleanups.push(() => gw.stop());
  await waitFor("connected", () => gw.uplink.status.state === "connected", 10_000);
  return gw;
}

describe("remote management over MQTT", () => {
  test("commands get replies correlated by id; unknown and malformed ones get an error reply", async () => {
    const broker = await new Mosquitto().start();
    cleanups.push(() => broker.stop());
    const gw = await gateway("gw-cmd", broker.url);
    const sub = await collect(broker.url, "gw/gw-cmd/cmd/+/reply");
    cleanups.push(() => sub.client.endAsync());
    await sub.client.publishAsync("gw/gw-cmd/cmd/ping", JSON.stringify({ id: "p1" }), { qos: 1 });
    const ping = await waitFor("ping reply", () => sub.messages.find((m) => m.topic.endsWith("cmd/ping/reply")));
    expect(JSON.parse(ping.payload)).toMatchObject({ id: "p1", ok: true, pong: true });
    await sub.client.publishAsync("gw/gw-cmd/cmd/frobnicate", JSON.stringify({ id: "f1" }), { qos: 1 });
    const unknown = JSON.parse((await waitFor("unknown reply", () => sub.messages.find((m) => m.topic.endsWith("frobnicate/reply")))).payload);
    expect(unknown).toMatchObject({ id: "f1", ok: false, error: 'unknown command "frobnicate"' });
    expect(unknown.details.known).toContain("set-config");
    await sub.client.publishAsync("gw/gw-cmd/cmd/get-config", "{not json", { qos: 1 });
    const bad = JSON.parse((await waitFor("bad reply", () => sub.messages.find((m) => m.topic.endsWith("get-config/reply")))).payload);
    expect(bad.ok).toBe(false);
    expect(bad.error).toStartWith("bad request");

    // get-config never shows secrets; set-config validates and saves.
    await sub.client.publishAsync("gw/gw-cmd/cmd/get-config", JSON.stringify({ id: "g1" }), { qos: 1 });
    const got = JSON.parse((await waitFor("config", () => sub.messages.find((m) => m.payload.includes('"g1"')))).payload);
    expect(got.config.uplink.mqtt.password).toBe("********");
    const cfg = got.config;
    await sub.client.publishAsync("gw/gw-cmd/cmd/set-config", JSON.stringify({ id: "s1", config: { ...cfg, log: { level: "nope" } } }), { qos: 1 });
    const s1 = JSON.parse((await waitFor("s1", () => sub.messages.find((m) => m.payload.includes('"s1"')))).payload);
    expect(s1).toMatchObject({ ok: false, error: "invalid configuration", details: [{ path: "log.level" }] });
    await sub.client.publishAsync("gw/gw-cmd/cmd/set-config", JSON.stringify({ id: "s2", config: { ...cfg, log: { level: "debug" } } }), { qos: 1 });
    const s2 = JSON.parse((await waitFor("s2", () => sub.messages.find((m) => m.payload.includes('"s2"')))).payload);
    expect(s2).toMatchObject({ ok: true, changed: ["log.level"], restartRequired: [] });
    expect(gw.logs.level).toBe("debug");
    expect(readFileSync(gw.config.path!, "utf8")).toContain("top-secret");
  }, 30_000);

  test("MQTT 5 response-topic and correlation-data are honoured", async () => {
    const broker = await new Mosquitto().start();
    cleanups.push(() => broker.stop());
    await gateway("gw-rr", broker.url);
    const client = await connectClient(broker.url, { protocolVersion: 5 });
    cleanups.push(() => client.endAsync());
    const replies: { topic: string; payload: string; corr?: string }[] = [];
    client.on("message", (topic, payload, packet) => replies.push({ topic, payload: payload.toString(), corr: packet.properties?.correlationData?.toString() }));
    await client.subscribeAsync("cloud/replies/42", { qos: 1 });
    await client.publishAsync("gw/gw-rr/cmd/ping", JSON.stringify({ id: "x" }), { qos: 1, properties: { responseTopic: "cloud/replies/42", correlationData: Buffer.from("corr-7") } });
    const r = await waitFor("reply on the response topic", () => replies[0]);
    expect(r.topic).toBe("cloud/replies/42");
    expect(r.corr).toBe("corr-7");
    expect(JSON.parse(r.payload)).toMatchObject({ id: "x", ok: true });
  }, 30_000);

  test("desired config is applied and reported; an invalid one is reported with its errors", async () => {
    const broker = await new Mosquitto().start();
    cleanups.push(() => broker.stop());
    const gw = await gateway("gw-desired", broker.url);
    const sub = await collect(broker.url, "gw/gw-desired/config/reported");
    cleanups.push(() => sub.client.endAsync());
    const base = JSON.parse(JSON.stringify(gw.config.current));
    await sub.client.publishAsync("gw/gw-desired/config/desired", JSON.stringify({ ...base, uplink: { mqtt: { ...base.uplink.mqtt, password: "********" } }, health: { ...base.health, cpuMaxPercent: 50 } }), { qos: 1, retain: true });
    const ok = JSON.parse((await waitFor("reported", () => sub.messages[0])).payload);
    expect(ok).toMatchObject({ ok: true, changed: ["health.cpuMaxPercent"] });
    expect(ok.config.uplink.mqtt.password).toBe("********");
    expect(gw.config.current.health.cpuMaxPercent).toBe(50);
    expect(gw.config.current.uplink.mqtt.password).toBe("top-secret");
    await sub.client.publishAsync("gw/gw-desired/config/desired", JSON.stringify({ gateway: { id: "not valid!" } }), { qos: 1, retain: true });
    const bad = JSON.parse((await waitFor("rejection reported", () => sub.messages[1])).payload);
    expect(bad.ok).toBe(false);
    expect(bad.errors).toEqual([{ path: "gateway.id", reason: expect.stringContaining("invalid value") }]);
    expect(gw.config.current.gateway.id).toBe("gw-desired");
  }, 30_000);

  for (const version of [5, 4] as const) {
    test(`a command sent while the box was away arrives when it comes back (persistent session, MQTT ${version === 5 ? "5" : "3.1.1"})`, async () => {
      const broker = await new Mosquitto().start();
      cleanups.push(() => broker.stop());
      const dataDir = mkdtempSync(join(tmpdir(), "gwm-"));
      const id = `gw-away-${version}`;
      const first = await gateway(id, broker.url, dataDir, version);
      await first.stop();
      const sub = await collect(broker.url, `gw/${id}/cmd/ping/reply`);
      cleanups.push(() => sub.client.endAsync());
      await sub.client.publishAsync(`gw/${id}/cmd/ping`, JSON.stringify({ id: "while-away" }), { qos: 1 });
      const back = await gateway(id, broker.url, dataDir, version);
      const r = await waitFor("queued command answered", () => sub.messages.find((m) => m.payload.includes("while-away")), 10_000);
      expect(JSON.parse(r.payload).ok).toBe(true);
      // Telemetry flows over this protocol version too.
      back.outbox.addPoints("meter", [{ tag: "t", v: 1, ts: 1 }]);
      await waitFor("drained", () => back.outbox.stats().rows === 0, 10_000);
    }, 30_000);
  }
});
