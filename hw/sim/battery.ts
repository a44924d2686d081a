// A battery as an energy store: watt-hours in, with a charge efficiency; watt-hours out; a full cap
// (surplus harvest is wasted, as a charge controller does); a cut-off and a reconnect level.

export interface BatteryParams { capacityWh: number; cutoffSoc: number; reconnectSoc: number; chargeEfficiency: number }

export class SimBattery {
  wh: number;
  /** false after the cut-off, until the state of charge climbs back to the reconnect level. */
  connected = true;
  constructor(readonly p: BatteryParams, socPct = 100) { this.wh = (p.capacityWh * socPct) / 100; }

  get soc(): number { return (this.wh / this.p.capacityWh) * 100; }

  /** Applies a net power (W, + charges, − discharges) for dtSec; returns the harvest wasted (Wh). */
  apply(netW: number, dtSec: number): number {
    const e = (netW * dtSec) / 3600;
    let wasted = 0;
    if (e >= 0) {
      this.wh += e * this.p.chargeEfficiency;
      if (this.wh > this.p.capacityWh) { wasted = (this.wh - this.p.capacityWh) / this.p.chargeEfficiency; this.wh = this.p.capacityWh; }
    } else this.wh = Math.max(0, this.wh + e);
    if (this.connected && this.soc <= this.p.cutoffSoc) this.connected = false;
    else if (!this.connected && this.soc >= this.p.reconnectSoc) this.connected = true;
    return wasted;
  }
}

/**
 * Open-circuit voltage of a 12 V lead-acid (AGM) battery against state of charge, at rest, 25 °C —
 * the usual published table (e.g. battery makers' AGM charts: 12.85 V full … 11.8 V at 10%).
 * Used both by the simulation (to report a voltage) and by the ADC driver's default curve.
 */
export const AGM_12V_CURVE: [number, number][] = [
  [11.51, 0], [11.66, 10], [11.81, 20], [11.96, 30], [12.1, 40], [12.24, 50],
  [12.37, 60], [12.5, 70], [12.62, 80], [12.73, 90], [12.84, 100],
];

export function socToVoltage(soc: number, curve: [number, number][] = AGM_12V_CURVE): number {
  const s = Math.max(0, Math.min(100, soc));
  for (let i = 1; i < curve.length; i++) {
    const [v0, s0] = curve[i - 1], [v1, s1] = curve[i];
    if (s <= s1) return v0 + ((s - s0) / (s1 - s0)) * (v1 - v0);
  }
  return curve[curve.length - 1][0];
}
