// End to end: the gateway as a real process, a real mosquitto and pymodbus. Telemetry reaches
// `telemetry/{device}`, cmd/bridge-write is answered on cmd/bridge-write/reply and lands in the
// slave, the HTTP API shows devices and tags, and a vanished slave becomes a `bridge.device.down` event.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freePort } from "../helpers/ports.ts";
import { GatewayProcess } from "../helpers/gateway-process.ts";
import { collect, Mosquitto } from "../helpers/mosquitto.ts";
import { waitFor } from "../helpers/wait.ts";
import { PyModbus } from "./pymodbus.ts";

describe("bridge end to end (gateway process + mosquitto + pymodbus)", () => {
  const broker = new Mosquitto();
  let py: PyModbus;
  let gw: GatewayProcess;
  let sub: Awaited<ReturnType<typeof collect>>;
  const base = "gw/gw-e2e";

  beforeAll(async () => {
    await broker.start();
    const port = await freePort();
    py = await new PyModbus({ mode: "tcp", port, units: [1] }).start();
    await py.cmd({ op: "set-typed", unit: 1, area: "holding", address: 0, type: "float32", value: 231.5, byteOrder: "big", wordOrder: "little" });
    await py.cmd({ op: "set", unit: 1, area: "input", address: 10, values: [1, 2] });
    sub = await collect(broker.url, `${base}/#`);
    gw = await new GatewayProcess({ config: {
      gateway: { id: "gw-e2e", prefix: "gw" },
      sip: { enabled: false },                      // this test is about the bridge; 5060 may be taken
      uplink: { mqtt: { url: broker.url, reconnectMinMs: 100 } },
      bridge: { modbus: { devices: [{
        name: "meter1", tcp: `127.0.0.1:${port}`, unit: 1, pollMs: 200, timeoutMs: 2000, retries: 1, wordOrder: "little",
        tags: [
          { name: "voltage", area: "holding", address: 0, type: "float32", deadband: 0.1 },
          { name: "energy", area: "input", address: 10, type: "uint32", wordOrder: "big" },
          { name: "setpoint", area: "holding", address: 20, type: "int16", scale: 0.1, writable: true },
        ],
      }] } },
    } }).start();
  }, 60_000);

  afterAll(async () => {
    await gw?.kill();
    await sub?.client.endAsync();
    await py?.stop();
    await broker.stop();
  });

  test("telemetry/{device} carries the decoded points", async () => {
    const msg = await waitFor("telemetry/meter1", () => sub.messages.find((m) => m.topic === `${base}/telemetry/meter1`), 20_000);
    const body = JSON.parse(msg.payload);
    expect(typeof body.seq).toBe("number");
    const byTag = Object.fromEntries(body.points.map((p: any) => [p.tag, p]));
    expect(byTag.voltage).toMatchObject({ v: 231.5, q: "good" });
    expect(byTag.energy).toMatchObject({ v: 65538, q: "good" });
    expect(typeof byTag.voltage.ts).toBe("number");
  }, 30_000);

  test("HTTP: devices, tags, and a refused write", async () => {
    const cookie = await gw.login();
    const h = { cookie };
    const devs = await (await fetch(`${gw.base}/api/bridge/devices`, { headers: h })).json() as any;
    expect(devs.devices[0]).toMatchObject({ name: "meter1", state: "ok", readsPerCycle: 2 });
    const tags = await (await fetch(`${gw.base}/api/bridge/tags?device=meter1`, { headers: h })).json() as any;
    expect(tags.tags.find((t: any) => t.name === "voltage")).toMatchObject({ v: 231.5, q: "good" });
    const bad = await fetch(`${gw.base}/api/bridge/write`, { method: "POST", headers: h, body: JSON.stringify({ device: "meter1", tag: "setpoint", value: 99999 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatch(/out of int16 range/);
    const junk = await fetch(`${gw.base}/api/bridge/write`, { method: "POST", headers: h, body: "{" });
    expect(junk.status).toBe(400);
    expect((await fetch(`${gw.base}/api/bridge/tags?device=nope`, { headers: h })).status).toBe(404);
    expect((await fetch(`${gw.base}/api/bridge/devices`)).status).toBe(401);
  }, 30_000);

  test("cmd/bridge-write is answered on cmd/bridge-write/reply and lands in the slave", async () => {
    const reply = await waitFor("bridge-write reply", async () => {
      const r = sub.messages.find((m) => m.topic === `${base}/cmd/bridge-write/reply`);
      if (r) return r;
      // The gateway subscribes once connected; ask again until it hears us.
      await sub.client.publishAsync(`${base}/cmd/bridge-write`, JSON.stringify({ id: "w1", device: "meter1", tag: "setpoint", value: 21.5 }), { qos: 1 });
      await Bun.sleep(300);
      return null;
    }, 20_000, 10);
    expect(JSON.parse(reply.payload)).toMatchObject({ id: "w1", ok: true, device: "meter1", tag: "setpoint", response: { fc: 6 } });
    expect((await py.cmd({ op: "get", unit: 1, area: "holding", address: 20, count: 1 })).values).toEqual([215]);
    await sub.client.publishAsync(`${base}/cmd/bridge-write`, "not json", { qos: 1 });
    await waitFor("error reply", () => sub.messages.find((m) => m.topic === `${base}/cmd/bridge-write/reply` && JSON.parse(m.payload).ok === false), 10_000);
  }, 30_000);

  test("a slave that vanishes raises bridge.device.down on events", async () => {
    await py.stop();
    const ev = await waitFor("bridge.device.down", () => sub.messages.find((m) => m.topic === `${base}/events` && JSON.parse(m.payload).type === "bridge.device.down"), 20_000);
    expect(JSON.parse(ev.payload)).toMatchObject({ type: "bridge.device.down", device: "meter1" });
  }, 30_000);
});
