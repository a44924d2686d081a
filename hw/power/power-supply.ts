// Linux power_supply class (Documentation/ABI/testing/sysfs-class-power): a fuel gauge or charger
// driver (max17048, bq27xxx, bq25890, axp20x …) exposes `capacity` (%), `voltage_now` (µV),
// `current_now` (µA; sign convention varies by driver, positive = charging for most gauges), `status`
// (Charging/Discharging/Full/Not charging) and for chargers `online`. `root` is the class directory
// so tests point it at a fake tree.
import { join } from "node:path";
import { AGM_12V_CURVE } from "../sim/battery.ts";
import { interpolate, type PowerReading, type PowerSensor } from "./types.ts";
import { readAttr, readNumber } from "./sysfs-read.ts";

export interface PowerSupplyOptions {
  root?: string;
  /** Battery supply name (dir under root), e.g. "max1704x-battery". */
  battery: string;
  /** Solar charger/input supply name, e.g. "bq25890-charger"; empty when there is none. */
  solar?: string;
  /** Voltage → SoC curve used when the gauge has no `capacity` file ([V, %] pairs). */
  socCurve?: [number, number][];
  /** Flip the sign of current_now for drivers that report discharge as positive. */
  invertCurrent?: boolean;
  now?: () => number;
}

export class PowerSupplySensor implements PowerSensor {
  readonly kind = "power_supply";
  readonly root: string;
  constructor(private readonly o: PowerSupplyOptions) { this.root = o.root ?? "/sys/class/power_supply"; }

  private num(supply: string, file: string): number | null { return readNumber(this.root, supply, file); }
  private str(supply: string, file: string): string | null { return readAttr(this.root, supply, file); }

  read(): PowerReading {
    const b = this.o.battery;
    const uV = this.num(b, "voltage_now"), uA = this.num(b, "current_now");
    const voltage = uV === null ? null : uV / 1e6;
    const current = uA === null ? null : (this.o.invertCurrent ? -uA : uA) / 1e6;
    let soc = this.num(b, "capacity");
    if (soc === null && voltage !== null) soc = interpolate((this.o.socCurve ?? AGM_12V_CURVE).map(([v, s]) => [v, s]), voltage);
    if (soc === null) throw new Error(`power_supply: ${join(this.root, b)} has neither capacity nor voltage_now`);
    const status = this.str(b, "status");
    const charging = status === null ? null : status === "Charging" || status === "Full";
    let solar: PowerReading["solar"] = { watts: null, voltage: null, current: null, pgood: null };
    if (this.o.solar) {
      const s = this.o.solar;
      const sv = this.num(s, "voltage_now"), si = this.num(s, "current_now"), pw = this.num(s, "power_now");
      const online = this.num(s, "online");
      const v = sv === null ? null : sv / 1e6, i = si === null ? null : si / 1e6;
      const watts = pw !== null ? pw / 1e6 : v !== null && i !== null ? Math.abs(v * i) : online === 0 ? 0 : null;
      solar = { watts, voltage: v, current: i, pgood: online === null ? null : online === 1 };
    }
    return { ts: (this.o.now ?? Date.now)(), battery: { soc: Math.max(0, Math.min(100, soc)), voltage, current, charging }, solar, loadW: null };
  }
}
