// The energy service: every tickSec it reads the power sensors, learns the harvest per hour of the day,
// asks the policy for a mode and has the scheduler apply a change. The gateway runs it on the system
// clock with the board's drivers; the benchmark runs the same class on a SimClock with the simulated box.
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { PowerReading, PowerSensor } from "../../hw/power/types.ts";
import { FixedStrategy, ThresholdStrategy } from "./baselines.ts";
import type { EnergyConfig, ModeId } from "./config.ts";
import { HarvestForecast } from "./forecast.ts";
import type { EnergyHistory, HourRow } from "./history.ts";
import { AdaptiveStrategy, availableWh, ModeController, reserveWh, type Decision, type Strategy } from "./policy.ts";
import type { Scheduler } from "./scheduler.ts";

const HOUR = 3_600_000;

export interface ModeChange extends Decision { name: string; fromName: string; soc: number; solarW: number | null; forecastWh: number }

export interface EnergyServiceDeps {
  clock: Clock;
  sensor: PowerSensor;
  cfg: () => EnergyConfig;
  scheduler: Scheduler;
  history?: EnergyHistory;
  log?: Logger;
  strategy?: Strategy;
  onChange?: (c: ModeChange) => void;
}

export function strategyFor(cfg: () => EnergyConfig): Strategy {
  const p = cfg().policy;
  return p === "fixed" ? new FixedStrategy() : p === "thresholds" ? new ThresholdStrategy(cfg) : new AdaptiveStrategy(cfg);
}

export class EnergyService {
  readonly name = "energy";
  readonly controller: ModeController;
  readonly forecast: HarvestForecast;
  reading: PowerReading | null = null;
  readError: string | null = null;
  private timer: number | null = null;
  private lastTick = 0;
  private hourStart = 0;
  private hourSolarWh = 0;
  private hourLoadWh: number | null = null;
  private lastSoc: number | null = null;
  /** When the scheduler last moved the knobs (null before the first time). */
  private appliedAt: number | null = null;
  /** Measured draw per mode (W, moving average), from boards that measure the load. */
  readonly measuredDraw: Partial<Record<ModeId, number>> = {};
  /** Recent hours kept in memory when there is no database (bench). */
  readonly recentHours: HourRow[] = [];

  constructor(private readonly d: EnergyServiceDeps) {
    const cfg = d.cfg();
    // Until the sensors have been read the battery is unknown: saver is the cautious middle.
    this.controller = new ModeController(d.strategy ?? strategyFor(d.cfg), d.cfg, d.clock.now(), "saver");
    this.forecast = new HarvestForecast(cfg.forecast.alpha, HarvestForecast.prior(d.clock.now(), cfg.panel, cfg.forecast.priorFactor));
    const saved = d.history?.loadForecast();
    if (saved) this.forecast.restore(saved);
  }

  get mode(): ModeId { return this.controller.mode; }
  modeName(m: ModeId = this.controller.mode): string { return this.d.cfg().modeNames[m]; }

  start(): void {
    const now = this.d.clock.now();
    this.lastTick = now;
    this.hourStart = Math.floor(now / HOUR) * HOUR;
    // The boot mode is chosen from the first reading and applied without an `energy.mode` event (it
    // is not a change; `gateway.started` tells the box came up, the status and API show the mode).
    const r = this.read();
    if (r) {
      this.reading = r;
      this.lastSoc = r.battery.soc;
      this.controller.boot({ now, soc: r.battery.soc, solarW: r.solar.watts, forecast: this.forecastNext(), draw: this.measuredDraw });
      this.d.log?.info("energy mode at boot", { mode: this.modeName(), reason: this.controller.reason });
    }
    this.d.scheduler.apply(this.controller.mode);
    this.appliedAt = now;
    this.timer = this.d.clock.setInterval(() => this.tick(), this.d.cfg().tickSec * 1000);
  }

  stop(): void {
    if (this.timer !== null) this.d.clock.clearInterval(this.timer);
    this.timer = null;
  }

  private read(): PowerReading | null {
    try {
      const r = this.d.sensor.read();
      if (this.readError) this.d.log?.info("power sensors readable again");
      this.readError = null;
      return r;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (msg !== this.readError) this.d.log?.warn("power sensors unreadable; keeping the current mode", { error: msg });
      this.readError = msg;
      return null;
    }
  }

  /** One reading, one hour-accounting step, one policy evaluation. */
  tick(): void {
    const now = this.d.clock.now();
    const r = this.read();
    const dtH = Math.max(0, now - this.lastTick) / HOUR;
    this.lastTick = now;
    if (!r) return;
    this.reading = r;
    this.account(r, dtH, now);
    this.evaluate();
  }

  private account(r: PowerReading, dtH: number, now: number): void {
    const cfg = this.d.cfg();
    let harvest: number;
    if (r.solar.watts !== null) harvest = r.solar.watts * dtH;
    else {
      // No panel sensor: what the battery gained plus what the box drew is what the sun gave.
      const gained = this.lastSoc === null ? 0 : ((r.battery.soc - this.lastSoc) / 100) * cfg.battery.capacityWh;
      harvest = Math.max(0, gained / cfg.battery.chargeEfficiency + (r.loadW ?? cfg.modes[this.controller.mode].drawWatts) * dtH);
    }
    this.lastSoc = r.battery.soc;
    this.hourSolarWh += harvest;
    if (r.loadW !== null) {
      this.hourLoadWh = (this.hourLoadWh ?? 0) + r.loadW * dtH;
      // Learn what each mode really draws once it has run a full tick (not across a change).
      const m = this.controller.mode;
      if (this.appliedAt !== null && now - this.appliedAt >= this.d.cfg().tickSec * 1000 * 2 && dtH > 0) {
        const old = this.measuredDraw[m];
        this.measuredDraw[m] = old === undefined ? r.loadW : old + 0.05 * (r.loadW - old);
      }
    }
    const hour = Math.floor(now / HOUR) * HOUR;
    if (hour > this.hourStart) {
      const row: HourRow = { hour: this.hourStart, soc: r.battery.soc, solarWh: this.hourSolarWh, loadWh: this.hourLoadWh, mode: this.controller.mode };
      // A gap of several hours (box off) teaches nothing about those hours; only the closed one counts.
      if (hour - this.hourStart <= 2 * HOUR) this.forecast.observe(this.hourStart, this.hourSolarWh);
      this.recentHours.push(row);
      if (this.recentHours.length > 24 * 14) this.recentHours.shift();
      try {
        this.d.history?.add(row);
        this.d.history?.saveForecast(this.forecast.state());
        if (hour % (24 * HOUR) === 0) this.d.history?.prune(hour - cfg.historyDays * 24 * HOUR);
      } catch (e) { this.d.log?.warn("energy history not stored", { error: String(e) }); }
      this.hourStart = hour;
      this.hourSolarWh = 0;
      this.hourLoadWh = null;
    }
  }

  forecastNext(): number[] { return this.forecast.next(this.d.clock.now(), this.d.cfg().horizonHours); }

  evaluate(): void {
    const r = this.reading;
    if (!r) return;
    const forecast = this.forecastNext();
    // Nowcast: for the rest of this hour the panel's present output says more than any average.
    if (r.solar.watts !== null && forecast.length) {
      const left = 1 - (this.d.clock.now() % HOUR) / HOUR;
      forecast[0] = r.solar.watts * left;
    }
    this.changed(this.controller.evaluate({ now: this.d.clock.now(), soc: r.battery.soc, solarW: r.solar.watts, forecast, draw: this.measuredDraw }), forecast);
  }

  /** An acceleration (g) from the vibration sensor or interrupt. */
  vibration(g: number): void {
    const soc = this.reading?.battery.soc ?? 0;
    this.changed(this.controller.vibration(g, this.d.clock.now(), soc), this.forecastNext());
  }

  private changed(d: Decision | null, forecast: number[]): void {
    if (!d) return;
    this.d.scheduler.apply(d.mode);
    this.appliedAt = this.d.clock.now();
    const r = this.reading;
    const change: ModeChange = {
      ...d, name: this.modeName(d.mode), fromName: this.modeName(d.from), soc: round(r?.battery.soc ?? 0),
      solarW: r?.solar.watts == null ? null : round(r.solar.watts), forecastWh: round(forecast.reduce((a, b) => a + b, 0)),
    };
    this.d.log?.info("energy mode", { mode: change.name, from: change.fromName, reason: d.reason });
    this.d.onChange?.(change);
  }

  /** Everything GET /api/energy shows. */
  snapshot(historyHours = 72) {
    const cfg = this.d.cfg();
    const r = this.reading;
    const now = this.d.clock.now();
    const forecast = this.forecastNext();
    const hours = this.d.history ? this.d.history.since(now - historyHours * HOUR) : this.recentHours.slice(-historyHours);
    return {
      mode: this.modeName(),
      modeId: this.controller.mode,
      reason: this.controller.reason,
      since: Number.isFinite(this.controller.since) ? this.controller.since : null,
      policy: this.controller.strategyName,
      waking: this.controller.waking,
      battery: r ? { soc: round(r.battery.soc), voltage: r.battery.voltage === null ? null : round(r.battery.voltage), current: r.battery.current === null ? null : round(r.battery.current), charging: r.battery.charging, availableWh: round(availableWh(cfg, r.battery.soc)), reserveWh: round(reserveWh(cfg, this.measuredDraw)) } : null,
      solar: r ? { watts: r.solar.watts === null ? null : round(r.solar.watts), pgood: r.solar.pgood } : null,
      sensorError: this.readError,
      measuredDrawW: Object.fromEntries(Object.entries(this.measuredDraw).map(([k, v]) => [this.modeName(k as ModeId), round(v!)])),
      forecast: { horizonHours: cfg.horizonHours, totalWh: round(forecast.reduce((a, b) => a + b, 0)), hourlyWh: forecast.map(round), learnedDays: this.forecast.days, slotsWh: this.forecast.slots.map(round) },
      history: hours.map((h) => ({ ts: h.hour, soc: round(h.soc), solarWh: round(h.solarWh), loadWh: h.loadWh === null ? null : round(h.loadWh), mode: this.modeName(h.mode as ModeId) ?? h.mode })),
    };
  }
}

function round(x: number): number { return Math.round(x * 100) / 100; }
