// Harvest forecast learned per time of day (Kansal, Hsu, Zahedi, Srivastava, "Power management in
// energy harvesting sensor networks", ACM TECS 2007): the day is cut into hourly slots; each slot keeps
// an exponentially weighted average of the energy harvested in it on past days (weight `alpha` on the
// newest). Plus the correction of the weather-conditioned moving average (Piorno et al. 2009): the
// ratio of what the last daylight hours gave to what their slots predicted scales the near future,
// fading back to the averages over about half a day, because weather persists for hours, not weeks.
import { clearSkyIrradiance } from "../../hw/sim/sun.ts";

const HOUR = 3_600_000;
const SLOTS = 24;

export interface ForecastState { slots: number[]; days: number; recent: [number, number][] }

export class HarvestForecast {
  slots: number[];
  /** How many observations the slots have seen (0 = prior only). */
  days = 0;
  /** Last daylight hours: [observed Wh, predicted Wh]. */
  private recent: [number, number][] = [];

  constructor(private readonly alpha: number, prior: number[] = new Array(SLOTS).fill(0)) {
    this.slots = prior.slice(0, SLOTS);
  }

  /** A prior from the clear-sky model, scaled by `factor`, for the day containing `ts`. */
  static prior(ts: number, panel: { watts: number; latitude: number; longitude: number; tilt: number }, factor: number): number[] {
    const day0 = Math.floor(ts / (24 * HOUR)) * 24 * HOUR;
    return Array.from({ length: SLOTS }, (_, h) => (panel.watts * 0.8 * clearSkyIrradiance(day0 + h * HOUR + HOUR / 2, panel) / 1000) * factor);
  }

  static slotOf(ts: number): number { return Math.floor(ts / HOUR) % SLOTS; }

  /** The hour starting at hourStart harvested wh. */
  observe(hourStart: number, wh: number): void {
    const s = HarvestForecast.slotOf(hourStart);
    const predicted = this.slots[s];
    this.slots[s] = this.days === 0 && predicted === 0 ? wh : this.alpha * wh + (1 - this.alpha) * predicted;
    if (s === SLOTS - 1) this.days++;
    if (predicted > 0.5 || wh > 0.5) {
      this.recent.push([wh, predicted]);
      if (this.recent.length > 4) this.recent.shift();
    }
  }

  /** Observed / predicted over the last daylight hours, clamped; 1 when unknown. */
  ratio(): number {
    const o = this.recent.reduce((a, r) => a + r[0], 0), p = this.recent.reduce((a, r) => a + r[1], 0);
    if (p < 1) return 1;
    return Math.max(0.05, Math.min(2, o / p));
  }

  /** Expected harvest (Wh) for each of the next `hours` hours from `now` (the first one partial). */
  next(now: number, hours: number): number[] {
    const k = this.ratio();
    const out: number[] = [];
    const hourStart = Math.floor(now / HOUR) * HOUR;
    for (let i = 0; i < hours; i++) {
      const start = hourStart + i * HOUR;
      const frac = i === 0 ? (start + HOUR - now) / HOUR : 1;
      const w = Math.exp(-(i + 0.5) / 12);
      out.push(this.slots[HarvestForecast.slotOf(start)] * (w * k + (1 - w)) * frac);
    }
    return out;
  }

  state(): ForecastState { return { slots: this.slots.slice(), days: this.days, recent: this.recent.slice() }; }
  restore(s: ForecastState): void {
    if (!Array.isArray(s?.slots) || s.slots.length !== SLOTS || s.slots.some((x) => !Number.isFinite(x))) return;
    this.slots = s.slots.slice(); this.days = Number(s.days) || 0;
    this.recent = Array.isArray(s.recent) ? s.recent.filter((r) => Array.isArray(r) && r.length === 2).slice(-4) : [];
  }
}
