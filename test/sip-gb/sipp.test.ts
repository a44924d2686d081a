// End to end with real sipp against a real gateway process (SPEC section 5): digest registration,
// 423, retransmissions answered from the transaction, Expires: 0, BYE, keepalive then silence →
// offline within the window (and the event on MQTT), wrong password → 403 → ban listed in the API.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { GatewayProcess } from "../helpers/gateway-process.ts";
import { collect, Mosquitto } from "../helpers/mosquitto.ts";
import { freeUdpTcpPort } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";
import { sipp } from "./sipp.ts";

const PASSWORD = "12345678";
setDefaultTimeout(30_000);   // sipp gives up by itself after 15 s

async function startGateway(gb: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const port = await freeUdpTcpPort();
  const gw = await new GatewayProcess({
    config: {
      sip: { udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}`, gb28181: { password: PASSWORD, queryOnRegister: false, ...gb } },
      ...extra,
    },
  }).start();
  const cookie = await gw.login();
  const api = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(`${gw.base}${path}`, { ...init, headers: { cookie } });
    return { status: r.status, body: (await r.json()) as any };
  };
  return { gw, port, api };
}

function expectOk(r: { code: number; output: string }) {
  if (r.code !== 0) throw new Error(`sipp failed (${r.code}):\n${r.output}`);
}

describe("sipp against the registrar (long keepalive window)", () => {
  let g: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => { g = await startGateway({ minExpires: 60 }); });
  afterAll(async () => { await g.gw.kill(); });

  test("digest registration: 401 then 200; online in the API with address and expiry", async () => {
    const dev = "34020000001320000001";
    const r = await sipp("register.xml", { port: g.port, device: dev, password: PASSWORD });
    expectOk(r);
    const list = await g.api("/api/sip/devices");
    expect(list.status).toBe(200);
    const d = list.body.devices.find((x: any) => x.id === dev);
    expect(d).toMatchObject({ state: "online", reason: "registered", registered: true, address: `127.0.0.1:${r.localPort}`, transport: "udp" });
    expect(d.expiresIn).toBeGreaterThan(3500);
    expect(d.expiresIn).toBeLessThanOrEqual(3600);
    const one = await g.api(`/api/sip/devices/${dev}`);
    expect(one.body.transitions[0]).toMatchObject({ state: "online", reason: "registered" });
    expect(one.body.channels).toEqual([]);
    expect((await g.api("/api/sip/devices/00000000000000000000")).status).toBe(404);
  });

  test("digest registration over TCP: the binding says tcp", async () => {
    const dev = "34020000001320000006";
    expectOk(await sipp("register.xml", { port: g.port, device: dev, password: PASSWORD, tcp: true }));
    expect((await g.api(`/api/sip/devices/${dev}`)).body).toMatchObject({ state: "online", transport: "tcp" });
  });

  test("Expires below minExpires: 423 with Min-Expires", async () => {
    expectOk(await sipp("register-brief.xml", { port: g.port, device: "34020000001320000002", password: PASSWORD, expires: 10 }));
  });

  test("retransmitted REGISTER and keepalive are answered from the transaction, not processed again", async () => {
    const before = (await g.api("/api/status")).body.gb28181;
    expectOk(await sipp("retransmit.xml", { port: g.port, device: "34020000001320000003", password: PASSWORD }));
    const after = (await g.api("/api/status")).body.gb28181;
    expect(after.registrar.accepted - before.registrar.accepted).toBe(1);
    expect(after.platform.keepalives - before.platform.keepalives).toBe(1);
  });

  test("Expires: 0 unregisters at once", async () => {
    const dev = "34020000001320000004";
    expectOk(await sipp("unregister.xml", { port: g.port, device: dev, password: PASSWORD }));
    const d = (await g.api(`/api/sip/devices/${dev}`)).body;
    expect(d).toMatchObject({ state: "offline", reason: "unregistered", registered: false });
    expect(d.transitions.map((t: any) => `${t.state}:${t.reason}`)).toEqual(["offline:unregistered", "online:registered"]);
  });

  test("BYE from the device: offline at once", async () => {
    const dev = "34020000001320000005";
    expectOk(await sipp("bye.xml", { port: g.port, device: dev, password: PASSWORD }));
    expect((await g.api(`/api/sip/devices/${dev}`)).body).toMatchObject({ state: "offline", reason: "bye", registered: true });
  });
});

describe("sipp: liveness window and bans (keepalive 1 s × 2)", () => {
  let g: Awaited<ReturnType<typeof startGateway>>;
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await new Mosquitto().start();
    g = await startGateway({ keepaliveInterval: 1, keepaliveTimeoutCount: 2, ban: { maxFailures: 3, seconds: 600 } }, { uplink: { mqtt: { url: broker.url } } });
  });
  afterAll(async () => { await g.gw.kill(); await broker.stop(); });

  test("keepalive then silence: offline (keepalive-timeout) once the window closes, never before; events on MQTT", async () => {
    const { client, messages } = await collect(broker.url, "gw/+/events");
    const dev = "34020000001320000011";
    expectOk(await sipp("keepalive.xml", { port: g.port, device: dev, password: PASSWORD }));
    const d = await waitFor("device offline", async () => {
      const b = (await g.api(`/api/sip/devices/${dev}`)).body;
      return b.state === "offline" ? b : null;
    }, 15_000, 100);
    expect(d.reason).toBe("keepalive-timeout");
    const offAt = Date.parse(d.transitions[0].ts);
    expect(offAt - Date.parse(d.lastHeard)).toBeGreaterThanOrEqual(2000);   // never before the window closes
    const events = await waitFor("offline event on MQTT", () => {
      const ev = messages.map((m) => JSON.parse(m.payload)).filter((e) => e.device === dev);
      return ev.some((e) => e.type === "sip.device.offline") ? ev : null;
    }, 15_000);
    expect(events.map((e: any) => `${e.type}:${e.reason}`)).toEqual(["sip.device.online:registered", "sip.device.offline:keepalive-timeout"]);
    await client.endAsync();
  });

  test("three wrong passwords → 403 each, then banned (403 without challenge), listed in the API", async () => {
    const dev = "34020000001320000012";
    expectOk(await sipp("register-wrong.xml", { port: g.port, device: dev, password: "wrong", calls: 3 }));
    expectOk(await sipp("register-banned.xml", { port: g.port, device: dev, password: PASSWORD }));
    const bans = (await g.api("/api/sip/bans")).body.bans;
    expect(bans.map((b: any) => `${b.kind}:${b.key}`).sort()).toEqual([`device:${dev}`, "source:127.0.0.1"]);
    expect(bans[0].reason).toBe("wrong password");
    // lifting the bans lets the device in again
    for (const b of bans) expect((await g.api(`/api/sip/bans/${b.kind}:${b.key}`, { method: "DELETE" })).status).toBe(200);
    expectOk(await sipp("register.xml", { port: g.port, device: dev, password: PASSWORD }));
  });
});
