// Opens the board's power sensors. Real drivers take their sysfs root as a parameter (tests).
import type { BoardPower } from "../boards/index.ts";
import type { SimBox } from "../sim/box.ts";
import { IioPowerSensor } from "./iio.ts";
import { PowerSupplySensor } from "./power-supply.ts";
import { SimPowerSensor } from "./sim.ts";
import type { PowerSensor } from "./types.ts";

export function openPowerSensor(p: BoardPower, o: { root?: string; box?: SimBox; now?: () => number } = {}): PowerSensor {
  switch (p.driver) {
    case "sim":
      if (!o.box) throw new Error("power: the sim driver needs a simulated box");
      return new SimPowerSensor(o.box);
    case "power_supply": return new PowerSupplySensor({ ...p.options, root: o.root ?? p.options.root, now: o.now });
    case "iio": return new IioPowerSensor({ ...p.options, root: o.root ?? p.options.root, now: o.now });
  }
}

export type { PowerSensor, PowerReading } from "./types.ts";
