// The engine inside the real gateway process: installed from config, answering OPTIONS (the firmware
// smoke test relies on it), reporting its `sip` health check and metrics; and a port already in use
// does not stop the gateway (health says why).
import { afterEach, describe, expect, test } from "bun:test";
import { GatewayProcess } from "../helpers/gateway-process.ts";
import { freeUdpTcpPort } from "../helpers/ports.ts";
import { options, UdpPeer } from "./harness.ts";
import { waitFor } from "../helpers/wait.ts";

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

describe("sip in the gateway", () => {
  test("answers OPTIONS, health check `sip` ok, metrics exported", async () => {
    const port = await freeUdpTcpPort();
    const gw = await new GatewayProcess({ config: { sip: { udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}` } } }).start();
    cleanups.push(() => gw.kill());
    const peer = await UdpPeer.open();
    cleanups.push(() => peer.close());
    peer.send(options(port, peer.port), port);
    const [res] = await peer.waitFor(1, "OPTIONS answer from the gateway");
    expect(res.kind === "response" && res.status).toBe(200);
    const cookie = await gw.login();
    const h = await (await fetch(`${gw.base}/api/health`, { headers: { cookie } })).json() as any;
    const sip = h.checks.find((c: any) => c.name === "sip");
    expect(sip.ok).toBe(true);
    const metrics = await (await fetch(`${gw.base}/metrics`, { headers: { cookie } })).text();
    expect(metrics).toMatch(/sip_messages_received_total [1-9]/);
  }, 30_000);

  test("a SIP port held by someone else: the gateway runs, health `sip` fails with the reason", async () => {
    const port = await freeUdpTcpPort();
    const holder = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    cleanups.push(() => holder.stop(true));
    const gw = await new GatewayProcess({ config: { sip: { udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}` } } }).start();
    cleanups.push(() => gw.kill());
    const cookie = await gw.login();
    const sip = await waitFor("sip health check", async () => {
      const h = await (await fetch(`${gw.base}/api/health`, { headers: { cookie } })).json() as any;
      return h.checks.find((c: any) => c.name === "sip");
    }, 5000);
    expect(sip.ok).toBe(false);
    expect(String(sip.value)).toContain("tcp");
  }, 30_000);
});

describe("sip config applied live", () => {
  test("raising sip.rateLimit through PUT /api/config needs no restart", async () => {
    const port = await freeUdpTcpPort();
    const gw = await new GatewayProcess({ config: { sip: { udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}`, rateLimit: { perSecond: 0.001, burst: 2 } } } }).start();
    cleanups.push(() => gw.kill());
    const cookie = await gw.login();
    const peer = await UdpPeer.open();
    cleanups.push(() => peer.close());
    for (let i = 0; i < 4; i++) peer.send(options(port, peer.port), port);
    await peer.waitFor(2, "the burst of 2");
    const cfg = await (await fetch(`${gw.base}/api/config`, { headers: { cookie } })).json() as any;
    const doc = cfg.config ?? cfg;
    doc.sip.rateLimit = { perSecond: 0, burst: 2, maxSources: 20000 };
    const put = await fetch(`${gw.base}/api/config`, { method: "PUT", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(doc) });
    const body = await put.json() as any;
    expect(put.status, JSON.stringify(body)).toBe(200);
    expect(body.restartRequired ?? []).not.toContain("sip.rateLimit.perSecond");
    for (let i = 0; i < 5; i++) peer.send(options(port, peer.port), port);
    await peer.waitFor(7, "all five after the change");
  }, 30_000);
});
