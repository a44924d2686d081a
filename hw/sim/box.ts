// The simulated solar box: sun × weather → panel watts; every subsystem's draw from its state;
// a battery that integrates the difference on the injected clock. The energy scheduler's knobs set
// the subsystem states (board power level, video power GPIO, sampling, uplink bursts) exactly as they
// would on a real box, so the bench and `make run` exercise the gateway's own policy code.
import type { Clock } from "../../app/core/clock.ts";
import { SimBattery } from "./battery.ts";
import { REFERENCE_BOX, type BoardPowerState } from "./reference-box.ts";
import { clearSkyIrradiance } from "./sun.ts";
import { constantWeather, type Weather } from "./weather.ts";

export type BoxParams = typeof REFERENCE_BOX;

export interface BoxSnapshot {
  ts: number; soc: number; wh: number; alive: boolean; solarW: number; loadW: number;
  voltage?: number; sky: string;
}

export class SimBox {
  readonly battery: SimBattery;
  weather: Weather;
  boardState: BoardPowerState = "full";
  /** Video module power: reads the GPIO output the scheduler drives (see hw/gpio/sim.ts). */
  videoOn: () => boolean = () => false;
  /** Cellular modem power: reads the GPIO output the scheduler drives (off in LoRa-only modes). */
  cellularOn: () => boolean = () => true;
  /** Sensor sampling rate in points per second (0 = sensors and RS-485 powered down). */
  samplingHz = 1;
  /** While true the uplink is continuously active (live video upload, or unbatched telemetry). */
  streaming = false;
  private activeUntil = 0;
  private loraUntil = 0;
  private last: number;
  private timer: number | null = null;
  solarW = 0;
  loadW = 0;
  /** Totals, for benches and tests. */
  harvestedWh = 0; wastedWh = 0; consumedWh = 0; pointsSampled = 0; pointsDelivered = 0; pendingPoints = 0;
  private readonly aliveListeners = new Set<(alive: boolean) => void>();
  private readonly stepListeners = new Set<() => void>();

  constructor(private readonly clock: Clock, readonly params: BoxParams = REFERENCE_BOX, opts: { socPct?: number; weather?: Weather } = {}) {
    this.battery = new SimBattery(params.battery, opts.socPct ?? 100);
    this.weather = opts.weather ?? constantWeather("clear");
    this.last = clock.now();
    this.solarW = this.panelWatts(this.last);
  }

  get alive(): boolean { return this.battery.connected; }
  get soc(): number { return this.battery.soc; }

  /** Called when the box loses power (cut-off) or comes back (reconnect). */
  onAlive(fn: (alive: boolean) => void): () => void { this.aliveListeners.add(fn); return () => this.aliveListeners.delete(fn); }

  /** Called after each physics step (the sim board mirrors charger CHRG/PGOOD onto simulated GPIO). */
  onStep(fn: () => void): () => void { this.stepListeners.add(fn); return () => this.stepListeners.delete(fn); }

  /** Runs the physics on the clock every stepMs (60 s is plenty for energy). */
  start(stepMs = 60_000): void {
    this.last = this.clock.now();
    this.timer = this.clock.setInterval(() => this.step(), stepMs);
  }
  stop(): void { if (this.timer !== null) this.clock.clearInterval(this.timer); this.timer = null; }

  panelWatts(ts: number): number {
    const p = this.params.panel;
    return (p.watts * p.derate * clearSkyIrradiance(ts, p) / 1000) * this.weather.factor(ts);
  }

  /** The uplink is needed for `sec` seconds from now (a batch, a heartbeat). */
  uplinkBurst(sec = this.params.burstSec): void {
    if (!this.alive || !this.cellularOn()) return;
    this.activeUntil = Math.max(this.activeUntil, this.clock.now() + sec * 1000);
    this.deliver();
  }
  loraBurst(sec: number): void { if (this.alive) this.loraUntil = Math.max(this.loraUntil, this.clock.now() + sec * 1000); }

  private deliver(): void { this.pointsDelivered += this.pendingPoints; this.pendingPoints = 0; }

  /** Average draw (W) over [t0, t1] given the subsystem states (bursts counted by their overlap). */
  private drawOver(t0: number, t1: number): number {
    if (!this.alive) return 0;
    const d = this.params.draw;
    const dt = Math.max(1, t1 - t0);
    const cell = this.cellularOn();
    const activeFrac = !cell ? 0 : this.streaming || this.videoOn() ? 1 : Math.min(1, Math.max(0, this.activeUntil - t0) / dt);
    const loraFrac = Math.min(1, Math.max(0, this.loraUntil - t0) / dt);
    return (d.mainBoard[this.boardState] + (this.videoOn() ? d.video : 0)
      + (cell ? d.uplink.idle + (d.uplink.active - d.uplink.idle) * activeFrac : 0)
      + (this.samplingHz > 0 ? d.sensors : 0) + d.loraTx * loraFrac) / this.params.battery.converterEfficiency;
  }

  /** Integrates from the last step to now. */
  step(): void {
    const now = this.clock.now();
    const dtSec = (now - this.last) / 1000;
    if (dtSec <= 0) return;
    const wasAlive = this.alive;
    this.solarW = this.panelWatts(now);
    this.loadW = this.drawOver(this.last, now);
    if (wasAlive) {
      const pts = this.samplingHz * dtSec;
      this.pointsSampled += pts;
      this.pendingPoints += pts;
      if (this.cellularOn() && (this.streaming || this.videoOn())) this.deliver();
    }
    this.harvestedWh += (this.solarW * dtSec) / 3600;
    this.consumedWh += (this.loadW * dtSec) / 3600;
    this.wastedWh += this.battery.apply(this.solarW - this.loadW, dtSec);
    this.last = now;
    if (wasAlive !== this.alive) for (const fn of this.aliveListeners) fn(this.alive);
    for (const fn of this.stepListeners) fn();
  }

  snapshot(): BoxSnapshot {
    return { ts: this.clock.now(), soc: this.soc, wh: this.battery.wh, alive: this.alive, solarW: this.solarW, loadW: this.loadW, sky: String(this.weather.sky(this.clock.now())) };
  }
}
