// IIO ADC channels (Documentation/ABI/testing/sysfs-bus-iio): a channel's value in millivolts is
// (in_voltageN_raw + in_voltageN_offset) × in_voltageN_scale, where offset and scale may be per
// channel or shared (`in_voltage_scale`). A resistor divider brings 12 V into the ADC range, so the
// real voltage is that × the divider ratio ((R1 + R2) / R2). Current comes from a shunt amplifier on
// another channel (A per V). Battery SoC from voltage through a curve (lead-acid AGM by default).
import { join } from "node:path";
import { AGM_12V_CURVE } from "../sim/battery.ts";
import { interpolate, type PowerReading, type PowerSensor } from "./types.ts";
import { readNumber } from "./sysfs-read.ts";

export interface AdcChannel {
  /** IIO device dir name, e.g. "iio:device0". */
  device: string;
  /** Channel index N of in_voltageN_raw. */
  channel: number;
  /** (R1 + R2) / R2 of the divider in front of the ADC; 1 = none. */
  divider?: number;
  /** For current channels: amperes per volt at the ADC pin (shunt amplifier gain); 0 = voltage channel. */
  ampsPerVolt?: number;
}

export interface IioOptions {
  root?: string;
  batteryVoltage: AdcChannel;
  batteryCurrent?: AdcChannel;
  solarVoltage?: AdcChannel;
  solarCurrent?: AdcChannel;
  socCurve?: [number, number][];
  now?: () => number;
}

export class IioPowerSensor implements PowerSensor {
  readonly kind = "iio";
  readonly root: string;
  constructor(private readonly o: IioOptions) { this.root = o.root ?? "/sys/bus/iio/devices"; }

  private file(dev: string, name: string): number | null { return readNumber(this.root, dev, name); }

  /** Volts at the divider input: (raw + offset) × scale mV × divider / 1000. */
  volts(ch: AdcChannel): number {
    const p = `in_voltage${ch.channel}`;
    const raw = this.file(ch.device, `${p}_raw`);
    if (raw === null) throw new Error(`iio: ${join(this.root, ch.device, p + "_raw")} unreadable`);
    const offset = this.file(ch.device, `${p}_offset`) ?? this.file(ch.device, "in_voltage_offset") ?? 0;
    const scale = this.file(ch.device, `${p}_scale`) ?? this.file(ch.device, "in_voltage_scale");
    if (scale === null) throw new Error(`iio: no in_voltage${ch.channel}_scale nor in_voltage_scale in ${join(this.root, ch.device)}`);
    return ((raw + offset) * scale * (ch.divider ?? 1)) / 1000;
  }

  private amps(ch: AdcChannel | undefined): number | null {
    if (!ch) return null;
    return this.volts(ch) * (ch.ampsPerVolt ?? 1);
  }

  read(): PowerReading {
    const v = this.volts(this.o.batteryVoltage);
    const i = this.amps(this.o.batteryCurrent);
    const soc = interpolate(this.o.socCurve ?? AGM_12V_CURVE, v);
    const sv = this.o.solarVoltage ? this.volts(this.o.solarVoltage) : null;
    const si = this.amps(this.o.solarCurrent);
    return {
      ts: (this.o.now ?? Date.now)(),
      battery: { soc, voltage: v, current: i, charging: i === null ? null : i > 0 },
      solar: { watts: sv !== null && si !== null ? sv * si : null, voltage: sv, current: si, pgood: null },
      loadW: null,
    };
  }
}
