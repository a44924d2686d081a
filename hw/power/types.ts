// What the energy policy needs to know about power, whatever the hardware: battery state of charge
// (and voltage/current when known) and the solar input.

export interface PowerReading {
  ts: number;
  battery: { soc: number; voltage: number | null; current: number | null; charging: boolean | null };
  /** Panel power in W (null when the board cannot measure it). */
  solar: { watts: number | null; voltage: number | null; current: number | null; pgood: boolean | null };
  /** System draw in W when measured. */
  loadW: number | null;
}

export interface PowerSensor {
  readonly kind: string;
  read(): PowerReading;
}

/** Piecewise-linear interpolation on [x, y] pairs sorted by x, clamped at both ends. */
export function interpolate(curve: [number, number][], x: number): number {
  if (!curve.length) return NaN;
  if (x <= curve[0][0]) return curve[0][1];
  for (let i = 1; i < curve.length; i++) {
    const [x0, y0] = curve[i - 1], [x1, y1] = curve[i];
    if (x <= x1) return y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
  }
  return curve[curve.length - 1][1];
}
