// The arm64 executable on an emulated Cortex-A53 (qemu-aarch64 user mode, Debian's arm64 loader and
// libc): the CPU of the boxes, where Bun's arm64 builds have had "illegal instruction" regressions.
// It reports its version, verifies its own bundle, and `run` on the sim board answers /api/health,
// answers SIP OPTIONS on its UDP port, publishes to a real mosquitto, and stops cleanly on SIGTERM.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { GatewayProcess } from "../helpers/gateway-process.ts";
import { collect, Mosquitto } from "../helpers/mosquitto.ts";
import { freeUdpTcpPort } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";
import { BUNDLE_ARM64, ensureFirmware, EXE_ARM64, QEMU, VERSION } from "./firmware.ts";

const ID = "gw-qemu";

/** Sends an OPTIONS (RFC 3261 section 11) every 500 ms until a response arrives; returns its first line. */
async function sipOptions(port: number, timeoutMs: number): Promise<string> {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  const local = sock.address().port;
  let answer = "";
  sock.on("message", (m) => { answer ||= m.toString().split("\r\n")[0]; });
  const msg = [
    `OPTIONS sip:34020000002000000001@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-fwqemu-${Date.now()};rport`,
    "Max-Forwards: 70",
    "From: <sip:probe@127.0.0.1>;tag=fwq1",
    "To: <sip:34020000002000000001@127.0.0.1>",
    `Call-ID: fw-qemu-${Date.now()}@127.0.0.1`,
    "CSeq: 1 OPTIONS",
    "Content-Length: 0", "", "",
  ].join("\r\n");
  try {
    return await waitFor(`SIP OPTIONS answer on udp ${port}`, () => {
      if (!answer) sock.send(msg, port, "127.0.0.1");
      return answer;
    }, timeoutMs, 500);
  } finally { sock.close(); }
}

describe("arm64 executable under qemu-aarch64 -cpu cortex-a53", () => {
  beforeAll(() => ensureFirmware(), 240_000);

  test("--version reports the release version and the commit", () => {
    const r = Bun.spawnSync([...QEMU, EXE_ARM64, "--version"], { stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString().trim()).toMatch(new RegExp(`^gateway ${VERSION.replaceAll(".", "\\.")} \\([0-9a-f]{12}(-dirty)?\\)$`));
  }, 60_000);

  test("verify-bundle accepts its own bundle there (native arch: arm64, embedded key)", () => {
    const r = Bun.spawnSync([...QEMU, EXE_ARM64, "verify-bundle", BUNDLE_ARM64], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toContain("linux-arm64");
    expect(r.stdout.toString()).toContain("(embedded at build)");
  }, 60_000);

  describe("run on the sim board", () => {
    const broker = new Mosquitto();
    let gw: GatewayProcess;
    let sipPort = 0;
    let sub: Awaited<ReturnType<typeof collect>>;

    beforeAll(async () => {
      await broker.start();
      sub = await collect(broker.url, `gw/${ID}/#`);
      sipPort = await freeUdpTcpPort();
      gw = new GatewayProcess({
        command: [...QEMU, EXE_ARM64],
        config: {
          gateway: { id: ID, prefix: "gw" },
          uplink: { mqtt: { url: broker.url, reconnectMinMs: 200 } },
          sip: { udp: `127.0.0.1:${sipPort}`, tcp: `127.0.0.1:${sipPort}` },
          sim: { counter: { rateHz: 5 } },
          // The host is shared and busy; this suite tests the executable, not the thresholds.
          health: { cpuMaxPercent: 100, memMaxPercent: 100, diskMaxPercent: 100 },
        },
      });
      await gw.start(false);
      // Emulated start-up takes seconds, not milliseconds: a generous bound.
      await waitFor("gateway under qemu to answer /api/health", async () => {
        if (gw.proc?.exitCode !== null) throw new Error(`exited ${gw.proc?.exitCode}: ${gw.output}`);
        return (await fetch(`${gw.base}/api/health`).catch(() => null)) !== null;
      }, 60_000, 200);
    }, 90_000);

    afterAll(async () => {
      await gw?.kill();
      await sub?.client.endAsync();
      await broker.stop();
    });

    test("answers /api/health with every check ok", async () => {
      const r = await fetch(`${gw.base}/api/health`);
      const body = await r.json();
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(body.status).toBe("ok");
      expect(body.checks.map((c: any) => c.name)).toContain("database");
    }, 30_000);

    test("publishes status and telemetry to mosquitto", async () => {
      await waitFor("telemetry from sim-counter", () => sub.messages.some((m) => m.topic === `gw/${ID}/telemetry/sim-counter`), 30_000);
      const status = sub.messages.find((m) => m.topic === `gw/${ID}/status`);
      expect(JSON.parse(status!.payload)).toMatchObject({ online: true, version: VERSION });
      const t = JSON.parse(sub.messages.find((m) => m.topic === `gw/${ID}/telemetry/sim-counter`)!.payload);
      expect(t.points[0]).toMatchObject({ tag: "n" });
    }, 40_000);

    test("answers a SIP OPTIONS on its UDP port", async () => {
      expect(await sipOptions(sipPort, 20_000)).toMatch(/^SIP\/2\.0 200 /);
    }, 30_000);

    test("stops cleanly on SIGTERM (exit 0)", async () => {
      expect(await gw.kill("SIGTERM")).toBe(0);
    }, 30_000);
  });
});
