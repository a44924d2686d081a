// End to end with the device simulator (scripts/sim-devices) against a real gateway process: digest
// registration, Catalog (multi-packet, GBK names with a raw &) and DeviceInfo queries answered and
// stored, a camera going silent → offline, and a gateway restart → every device offline
// ("gateway-restart") until re-verified by a query, then online again.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Fleet } from "../../scripts/sim-devices/fleet.ts";
import { GatewayProcess } from "../helpers/gateway-process.ts";
import { freeUdpTcpPort } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";

setDefaultTimeout(60_000);

describe("sim-devices against the gateway", () => {
  let gw: GatewayProcess;
  let fleet: Fleet;
  afterAll(async () => { fleet?.close(); await gw?.kill(); });

  test("register, queries answered and stored, silence → offline, restart → re-verified", async () => {
    const port = await freeUdpTcpPort();
    const config = { sip: { udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}`, gb28181: { password: "pw-sim", keepaliveInterval: 1, keepaliveTimeoutCount: 3, queryOnRegister: true, queryPerSecond: 20 } } };
    gw = await new GatewayProcess({ config }).start();
    let cookie = await gw.login();
    const api = async (path: string) => (await (await fetch(`${gw.base}${path}`, { headers: { cookie } })).json()) as any;

    fleet = await new Fleet({ count: 5, server: { host: "127.0.0.1", port }, password: "pw-sim", keepalive: 1, channels: 5, perPacket: 2, sockets: 5 }).open();
    expect(await fleet.registerAll()).toEqual({ 200: 5 });
    const first = fleet.cameras[0].id;

    const dev = await waitFor("catalog and device info stored", async () => {
      const d = await api(`/api/sip/devices/${first}`);
      return d.channels?.length === 5 && d.deviceInfo?.Manufacturer ? d : null;
    }, 20_000, 100);
    expect(dev.catalog.complete).toBe(true);
    expect(dev.channels[0].name).toBe("通道 1 R&D");           // GBK decoded, raw & accepted
    expect(dev.deviceInfo).toMatchObject({ Manufacturer: "SimCam", Model: "SC-1", DeviceName: "模拟摄像机 0" });
    expect((await api("/api/sip/devices")).online).toBe(5);

    // one camera unplugged: offline by keepalive timeout, the others stay online
    fleet.cameras[1].silence();
    const silent = await waitFor("silent camera offline", async () => {
      const d = await api(`/api/sip/devices/${fleet.cameras[1].id}`);
      return d.state === "offline" ? d : null;
    }, 15_000, 100);
    expect(silent.reason).toBe("keepalive-timeout");
    expect(Date.parse(silent.transitions[0].ts) - Date.parse(silent.lastHeard)).toBeGreaterThanOrEqual(3000);
    expect((await api("/api/sip/devices")).online).toBe(4);

    // gateway restart: nobody is assumed online; the 4 live cameras are re-verified, the silent one is not
    await gw.kill("SIGTERM");
    gw = await new GatewayProcess({ config, dataDir: gw.dataDir }).start();
    cookie = await gw.login();
    const after = await api("/api/sip/devices");
    expect(after.count).toBe(5);
    for (const d of after.devices) if (d.state === "offline" && d.id !== fleet.cameras[1].id) expect(["gateway-restart"]).toContain(d.reason);
    await waitFor("4 cameras online again", async () => (await api("/api/sip/devices")).online === 4, 20_000, 100);
    expect((await api("/api/status")).gb28181.platform.queriesSent).toBeGreaterThanOrEqual(5);   // one DeviceInfo per registered device
    const s = await api(`/api/sip/devices/${fleet.cameras[1].id}`);
    expect(s.state).toBe("offline");
  });
});
