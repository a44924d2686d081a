// Power drivers against fake sysfs trees in a temp dir (the drivers take their root as a parameter).
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PowerSupplySensor } from "../../hw/power/power-supply.ts";
import { IioPowerSensor } from "../../hw/power/iio.ts";
import { interpolate } from "../../hw/power/types.ts";
import { AGM_12V_CURVE, socToVoltage } from "../../hw/sim/battery.ts";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "sysfs-"));
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), v + "\n");
  }
  return root;
}

describe("power_supply class", () => {
  test("capacity, voltage_now (µV), current_now (µA), status; solar from a charger's input", () => {
    const root = tree({
      "cw2015-battery/capacity": "76", "cw2015-battery/voltage_now": "12480000", "cw2015-battery/current_now": "-350000", "cw2015-battery/status": "Discharging",
      "bq25890-charger/online": "1", "bq25890-charger/voltage_now": "18200000", "bq25890-charger/current_now": "1500000",
    });
    const r = new PowerSupplySensor({ root, battery: "cw2015-battery", solar: "bq25890-charger" }).read();
    expect(r.battery).toEqual({ soc: 76, voltage: 12.48, current: -0.35, charging: false });
    expect(r.solar.watts).toBeCloseTo(27.3, 5);
    expect(r.solar.pgood).toBe(true);
  });

  test("no capacity file: SoC from voltage through the curve; a charger that is offline gives 0 W", () => {
    const root = tree({ "BAT0/voltage_now": "12240000", "solar/online": "0" });
    const r = new PowerSupplySensor({ root, battery: "BAT0", solar: "solar" }).read();
    expect(r.battery.soc).toBeCloseTo(50, 5);
    expect(r.solar.watts).toBe(0);
  });

  test("a missing battery is a clear error, not a crash later", () => {
    const root = tree({ "other/type": "Mains" });
    expect(() => new PowerSupplySensor({ root, battery: "BAT0" }).read()).toThrow(/neither capacity nor voltage_now/);
  });
});

describe("IIO ADC", () => {
  test("(raw + offset) × scale, divider ratio, shared or per-channel scale, SoC from the voltage curve", () => {
    const divider = (100 + 22) / 22;
    // 12.37 V battery → at the ADC 12.37 / 5.545 V = 2230.8 mV; ADS1015 scale 2 mV per count, offset 0.
    const raw = Math.round((12.37 / divider) * 1000 / 2);
    const root = tree({
      "iio:device0/in_voltage0_raw": String(raw), "iio:device0/in_voltage_scale": "2",
      "iio:device0/in_voltage1_raw": "1800", "iio:device0/in_voltage1_offset": "-10", "iio:device0/in_voltage1_scale": "2.0",
      "iio:device0/in_voltage2_raw": "400",
      "iio:device0/in_voltage3_raw": "500",
    });
    const s = new IioPowerSensor({
      root,
      batteryVoltage: { device: "iio:device0", channel: 0, divider },
      solarVoltage: { device: "iio:device0", channel: 1, divider },
      batteryCurrent: { device: "iio:device0", channel: 2, ampsPerVolt: 2 },
      solarCurrent: { device: "iio:device0", channel: 3, ampsPerVolt: 2 },
    });
    const r = s.read();
    expect(r.battery.voltage!).toBeCloseTo(12.37, 1);
    expect(r.battery.soc).toBeCloseTo(60, -1);
    expect(s.volts({ device: "iio:device0", channel: 1, divider })).toBeCloseTo(((1800 - 10) * 2 * divider) / 1000, 6);
    expect(r.battery.current).toBeCloseTo(1.6, 6);         // 400 × 2 mV = 0.8 V × 2 A/V
    expect(r.solar.watts!).toBeCloseTo(((1790 * 2 * divider) / 1000) * 2, 4);
  });

  test("missing scale is a clear error", () => {
    const root = tree({ "iio:device1/in_voltage0_raw": "100" });
    expect(() => new IioPowerSensor({ root, batteryVoltage: { device: "iio:device1", channel: 0 } }).read()).toThrow(/scale/);
  });

  test("voltage → SoC curve is monotonic and inverts socToVoltage", () => {
    for (let soc = 0; soc <= 100; soc += 5) expect(interpolate(AGM_12V_CURVE, socToVoltage(soc))).toBeCloseTo(soc, 6);
  });
});
