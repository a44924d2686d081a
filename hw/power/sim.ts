// The simulated twin: readings from the simulated box's physics (hw/sim/box.ts).
import type { SimBox } from "../sim/box.ts";
import { socToVoltage } from "../sim/battery.ts";
import type { PowerReading, PowerSensor } from "./types.ts";

export class SimPowerSensor implements PowerSensor {
  readonly kind = "sim";
  constructor(private readonly box: SimBox) {}
  read(): PowerReading {
    this.box.step();
    const s = this.box.snapshot();
    const v = socToVoltage(s.soc);
    return {
      ts: s.ts,
      battery: { soc: s.soc, voltage: v, current: (s.solarW - s.loadW) / v, charging: s.solarW > s.loadW },
      solar: { watts: s.solarW, voltage: s.solarW > 0 ? 18 : 0, current: s.solarW / 18, pgood: s.solarW > 0.5 },
      loadW: s.loadW,
    };
  }
}
