// The simulated meter that `make run` polls (hw/sim/modbus-slave.ts): plausible live values, writes land.
import { afterAll, describe, expect, test } from "bun:test";
import { SystemClock } from "../../app/core/clock.ts";
import { LogHub } from "../../app/core/logger.ts";
import { Bridge } from "../../app/bridge/bridge.ts";
import { validateConfig } from "../../app/config/validate.ts";
import { SIM_METER_TAGS, SimModbusSlave } from "../../hw/sim/modbus-slave.ts";
import { freePort } from "../helpers/ports.ts";
import { waitFor } from "../helpers/wait.ts";

describe("simulated Modbus slave", () => {
  const slave = new SimModbusSlave("meter");
  let bridge: Bridge | null = null;
  afterAll(() => { bridge?.stop(); slave.stop(); });

  test("the sim meter answers the bridge with live values and takes writes", async () => {
    const port = await freePort();
    slave.listen("127.0.0.1", port);
    const v = validateConfig({ bridge: { modbus: { devices: [{ name: "sim-meter", tcp: `127.0.0.1:${port}`, pollMs: 50, tags: SIM_METER_TAGS }] } } });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    bridge = new Bridge(v.config.bridge, { clock: new SystemClock(), log: new LogHub(Date.now, () => {}).for("bridge"), addPoints: () => {}, onDown: () => {}, onUp: () => {} });
    bridge.start();
    const tags = await waitFor("all good", () => {
      const t = bridge!.tags("sim-meter") as any[];
      return t.every((x) => x.q === "good") ? Object.fromEntries(t.map((x) => [x.name, x.v])) : null;
    }, 10_000);
    expect(tags.voltage).toBeGreaterThan(220);
    expect(tags.voltage).toBeLessThan(240);
    expect(tags.frequency).toBeCloseTo(50, 0);
    expect(tags.serial).toBe("SIM-METER-0001");
    expect(tags.alarm).toBe(true);
    expect(tags.energy).toBeGreaterThan(0);
    expect(await bridge.write({ device: "sim-meter", tag: "relay1", value: true })).toMatchObject({ ok: true });
    expect(slave.coils[0]).toBe(1);
    // Unknown function → exception 1; address out of range → exception 2.
    expect(Array.from(slave.handle(Uint8Array.from([7, 0, 0, 0, 1])))).toEqual([0x87, 1]);
    expect(Array.from(slave.handle(Uint8Array.from([3, 0x27, 0x0f, 0, 2])))).toEqual([0x83, 2]);
  }, 30_000);
});
