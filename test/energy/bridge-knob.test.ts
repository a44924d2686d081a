// The energy scheduler drives the bridge's Modbus poll scale (in-process gateway on the sim board).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Gateway } from "../../app/gateway.ts";
import { LogHub } from "../../app/core/logger.ts";
import { validateConfig } from "../../app/config/validate.ts";
import { energyOf } from "../../app/energy/install.ts";
import { simBoard } from "../../hw/boards/sim/board.ts";
import { freePort } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";

let gw: Gateway | null = null;
afterAll(async () => { await gw?.stop(); });

test("each mode sets the bridge poll scale (survival: the bridge's largest scale); video and modem GPIO follow", async () => {
  const v = validateConfig({ web: { listen: `127.0.0.1:${await freePort()}` }, sip: { enabled: false }, telemetry: { selfInterval: 0 }, uplink: { mqtt: { url: "mqtt://127.0.0.1:1" } } });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  gw = new Gateway({ config: v.config, configPath: null, dataDir: mkdtempSync(join(tmpdir(), "gw-energy-")), board: simBoard, logHub: new LogHub(Date.now, () => {}) });
  await gw.start();
  const e = energyOf(gw)!;
  await waitFor("energy service", () => e.service);
  const bridge = () => (gw!.statusSections.get("bridge")!() as any).pollScale ?? null;
  const sim = e.gpio as any;
  const lines = simBoard.energy!.gpio.lines;
  const expectMode = (pollScale: number, video: number, modem: number) => {
    expect(e.scheduler.errors.size).toBe(0);
    expect(bridge()).toBe(pollScale);
    expect(sim.get(lines.videoPower!.chip, lines.videoPower!.line)).toBe(video);
    expect(sim.get(lines.modemPower!.chip, lines.modemPower!.line)).toBe(modem);
  };
  e.scheduler.apply("full");
  expectMode(1, 1, 1);
  e.scheduler.apply("saver");
  expectMode(10, 0, 1);
  e.scheduler.apply("survival");
  expectMode(10_000, 0, 0);
  expect(e.scheduler.names()).toEqual(expect.arrayContaining(["bridge.poll", "telemetry.batch", "heartbeat", "video.power", "uplink.modem"]));
}, 30_000);
