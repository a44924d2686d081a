// Hourly energy history in SQLite: the page's chart, and what the forecast learns from (its slot
// averages are kept in kv so a restart does not forget the weather of the past days).
import type { Database } from "bun:sqlite";
import type { ForecastState } from "./forecast.ts";

export interface HourRow { hour: number; soc: number; solarWh: number; loadWh: number | null; mode: string }

export class EnergyHistory {
  private readonly putQ; private readonly listQ; private readonly pruneQ; private readonly getKv; private readonly setKv;
  constructor(db: Database) {
    this.putQ = db.query("INSERT INTO energy_hourly (hour, soc, solar_wh, load_wh, mode) VALUES (?, ?, ?, ?, ?) ON CONFLICT(hour) DO UPDATE SET soc = excluded.soc, solar_wh = excluded.solar_wh, load_wh = excluded.load_wh, mode = excluded.mode");
    this.listQ = db.query<{ hour: number; soc: number; solar_wh: number; load_wh: number | null; mode: string }, [number]>("SELECT hour, soc, solar_wh, load_wh, mode FROM energy_hourly WHERE hour >= ? ORDER BY hour");
    this.pruneQ = db.query("DELETE FROM energy_hourly WHERE hour < ?");
    this.getKv = db.query<{ v: string }, [string]>("SELECT v FROM kv WHERE k = ?");
    this.setKv = db.query("INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v");
  }

  add(r: HourRow): void { this.putQ.run(r.hour, r.soc, r.solarWh, r.loadWh, r.mode); }
  since(ts: number): HourRow[] {
    return this.listQ.all(ts).map((r) => ({ hour: r.hour, soc: r.soc, solarWh: r.solar_wh, loadWh: r.load_wh, mode: r.mode }));
  }
  prune(before: number): void { this.pruneQ.run(before); }

  loadForecast(): ForecastState | null {
    const v = this.getKv.get("energy.forecast")?.v;
    if (!v) return null;
    try { return JSON.parse(v) as ForecastState; } catch { return null; }
  }
  saveForecast(s: ForecastState): void { this.setKv.run("energy.forecast", JSON.stringify(s)); }
}
