// The conformance suite over Modbus RTU: pymodbus as an RTU server on one end of a socat pty pair,
// the gateway's RTU client (node:fs + stty, no native addon) on the other.
import { afterAll, describe, expect, test } from "bun:test";
import { SystemClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import { Bridge } from "../../app/bridge/bridge.ts";
import { validateConfig } from "../../app/config/validate.ts";
import { waitFor } from "../helpers/wait.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { conformance } from "./conformance.ts";
import { PtyPair, PyModbus } from "./pymodbus.ts";

const pty = new PtyPair(join(mkdtempSync(join(tmpdir(), "rtu-")), "pty"));
let py: PyModbus | null = null;
conformance("RTU", {
  async start() {
    if (!pty.proc || pty.proc.exitCode !== null) await pty.start();
    py = await new PyModbus({ mode: "rtu", device: pty.a, baud: 19200, units: [1, 2] }).start();
    return py;
  },
  async stop() { await py?.stop(); py = null; },
  address: () => ({ rtu: { port: pty.b, baud: 19200, parity: "none", dataBits: 8, stopBits: 2 } }),
  async teardown() { await py?.stop(); await pty.stop(); },
});

// The USB adapter case: the whole serial device disappears (the pty pair is gone) and comes back.

describe("RTU serial device that vanishes", () => {
  const pair = new PtyPair(join(mkdtempSync(join(tmpdir(), "rtu-gone-")), "pty"));
  let slave: PyModbus | null = null;
  let bridge: Bridge | null = null;
  afterAll(async () => { bridge?.stop(); await slave?.stop(); await pair.stop(); });

  test("is reopened when it is back: down, then up with good values", async () => {
    await pair.start();
    slave = await new PyModbus({ mode: "rtu", device: pair.a, units: [1] }).start();
    await slave.cmd({ op: "set", unit: 1, area: "holding", address: 0, values: [5] });
    const v = validateConfig({ bridge: { modbus: { devices: [{ name: "usb", rtu: { port: pair.b }, pollMs: 50, timeoutMs: 100, retries: 0, tags: [{ name: "v", area: "holding", address: 0 }] }] } } });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    const events: string[] = [];
    bridge = new Bridge(v.config.bridge, { clock: new SystemClock(), log: new LogHub(Date.now, () => {}).for("bridge"), addPoints: () => {}, onDown: () => events.push("down"), onUp: () => events.push("up") });
    bridge.start();
    const p = bridge.pollers.get("usb")!;
    await waitFor("ok", () => p.state === "ok", 10_000);
    await slave.stop();
    await pair.stop();
    await waitFor("down", () => p.state === "down", 10_000);
    await pair.start();
    slave = await new PyModbus({ mode: "rtu", device: pair.a, units: [1] }).start();
    await slave.cmd({ op: "set", unit: 1, area: "holding", address: 0, values: [6] });
    await waitFor("up again", () => p.state === "ok" && (bridge!.tags("usb") as any[])[0].v === 6, 20_000);
    expect(events).toEqual(["down", "up"]);
  }, 60_000);
});
