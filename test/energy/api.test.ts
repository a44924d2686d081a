// The gateway as a real process on the simulated board: GET /api/energy, the vibration wake on the
// simulated box, and the `energy.mode` and `heartbeat` events arriving at a real broker (mosquitto).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { collect, Mosquitto } from "../helpers/mosquitto.ts";
import { GatewayProcess } from "../helpers/gateway-process.ts";
import { waitFor } from "../helpers/wait.ts";

let broker: Mosquitto;
let gw: GatewayProcess;
let cookie = "";
let sub: Awaited<ReturnType<typeof collect>>;

beforeAll(async () => {
  broker = await new Mosquitto().start();
  sub = await collect(broker.url, "gw/gw-energy/#");
  gw = await new GatewayProcess({
    config: {
      gateway: { id: "gw-energy" },
      uplink: { mqtt: { url: broker.url } },
      // A reserve larger than the battery: the policy must sit in survival (named "sleep" here).
      energy: { reserveDays: 60, modeNames: { survival: "sleep" }, vibration: { thresholdG: 2, wake: 600 }, modes: { survival: { heartbeatInterval: 1 } } },
      sip: { enabled: false },
    },
  }).start();
  cookie = await gw.login();
});

afterAll(async () => {
  await gw?.kill("SIGTERM");
  await sub?.client.endAsync();
  await broker?.stop();
});

const get = (path: string) => fetch(`${gw.base}${path}`, { headers: { cookie } });
const events = () => sub.messages.filter((m) => m.topic === "gw/gw-energy/events").map((m) => JSON.parse(m.payload));

describe("energy API and events", () => {
  test("GET /api/energy: mode, reason, battery, solar, forecast, history; 401 without a session", async () => {
    expect((await fetch(`${gw.base}/api/energy`)).status).toBe(401);
    const body = await waitFor("energy running", async () => { const r = await get("/api/energy"); return r.status === 200 ? r.json() : null; });
    expect(body.mode).toBe("sleep");
    expect(body.reason).toContain("reserve");
    expect(body.battery.soc).toBeGreaterThan(50);
    expect(typeof body.solar.watts).toBe("number");
    expect(body.forecast.hourlyWh.length).toBe(24);
    expect(Array.isArray(body.history)).toBe(true);
    expect(body.knobs).toEqual(expect.arrayContaining(["telemetry.batch", "heartbeat", "video.power", "uplink.modem"]));
    expect(body.heartbeat.interval).toBe(1);
    expect(body.reason).toStartWith("boot:");
    expect(body.inputs.pgood).toBe(body.solar.watts > 0.5);      // the simulated charger drives its PGOOD pin
    expect((await get("/api/energy?hours=abc")).status).toBe(400);
  });

  test("heartbeat and energy.mode events reach MQTT (critical, even while batching)", async () => {
    await waitFor("heartbeat event", () => events().find((e) => e.type === "heartbeat"), 15_000);
    const hb = events().find((e) => e.type === "heartbeat");
    expect(hb.mode).toBe("sleep");
    expect(typeof hb.seq).toBe("number");
    expect(events().some((e) => e.type === "energy.mode")).toBe(false);   // the boot mode is not a change
    // The retained status names the mode too.
    const status = sub.messages.filter((m) => m.topic === "gw/gw-energy/status").map((m) => JSON.parse(m.payload));
    expect(status.at(-1)).toMatchObject({ online: true, mode: "sleep" });
  });

  test("vibration above the threshold wakes the box to full, with an energy.mode event and its reason", async () => {
    const bad = await fetch(`${gw.base}/api/energy/vibration`, { method: "POST", headers: { cookie }, body: "{not json" });
    expect(bad.status).toBe(400);
    const neg = await fetch(`${gw.base}/api/energy/vibration`, { method: "POST", headers: { cookie }, body: JSON.stringify({ g: "x" }) });
    expect(neg.status).toBe(400);
    const r = await fetch(`${gw.base}/api/energy/vibration`, { method: "POST", headers: { cookie }, body: JSON.stringify({ g: 2.5 }) });
    expect(r.status).toBe(200);
    expect((await r.json()).mode).toBe("full");
    const ev = await waitFor("energy.mode full event", () => events().find((e) => e.type === "energy.mode" && e.mode === "full"), 15_000);
    expect(ev.from).toBe("sleep");
    expect(ev.reason).toContain("vibration 2.50 g");
    await waitFor("status says full", () => sub.messages.some((m) => m.topic === "gw/gw-energy/status" && JSON.parse(m.payload).mode === "full"), 10_000);
    const m = await (await get("/metrics")).text();
    expect(m).toContain('gateway_energy_mode{mode="full"} 1');
  });
});
