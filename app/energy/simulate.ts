// Runs the reference box (hw/sim) under a policy on a SimClock, wired exactly as the gateway wires it:
// the same EnergyService, ModeController, strategies, Scheduler, BatchKnob, video and modem GPIO knobs
// and Heartbeat. The reference box has a LoRa modem, so survival heartbeats go over LoRa. Only the drivers are twins (sim power sensor, sim GPIO, an uplink that costs modem time).
// Used by scripts/bench/energy.ts and by the energy tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { SimClock } from "../core/clock.ts";
import { openStore } from "../store/db.ts";
import { coreMigrations } from "../store/migrations.ts";
import { SimBox } from "../../hw/sim/box.ts";
import { REFERENCE_BOX } from "../../hw/sim/reference-box.ts";
import { constantWeather, markovWeather, type Weather } from "../../hw/sim/weather.ts";
import { SimGpio } from "../../hw/gpio/sim.ts";
import { SimPowerSensor } from "../../hw/power/sim.ts";
import { EnergyConfig, MODE_IDS, type ModeId } from "./config.ts";
import { EnergyHistory } from "./history.ts";
import { Heartbeat } from "./heartbeat.ts";
import { BatchKnob, heartbeatKnob, modemPowerKnob, videoKnob } from "./knobs.ts";
import { energyMigrations } from "./migrations.ts";
import { Scheduler } from "./scheduler.ts";
import { EnergyService } from "./service.ts";

const HOUR = 3_600_000;

export interface Scenario {
  name: string;
  start: number;
  /** Hours the scenario's weather is defined for; heartbeatHours and points count within it. */
  hours: number;
  /** Keep simulating after `hours` (same weather) until the first missed heartbeat, up to this. */
  capHours: number;
  socPct: number;
  weather: () => Weather;
}

/**
 * rain7: full battery, rain (10% of clear sky) from the first hour; the rain goes on after day 7 until
 * the box misses a heartbeat or 30 days pass. mixed30: 30 days of seeded Markov weather (clear /
 * cloudy / rain, seed 2026), battery half charged, as a box is usually installed.
 * Both start 1 July 2026 00:00 UTC (08:00 in Qinghai), in the plateau's rainy season.
 */
export const SCENARIOS: Record<string, Scenario> = {
  rain7: { name: "rain7", start: Date.UTC(2026, 6, 1), hours: 168, capHours: 720, socPct: 100, weather: () => constantWeather("rain") },
  mixed30: { name: "mixed30", start: Date.UTC(2026, 6, 1), hours: 720, capHours: 720, socPct: 50, weather: () => markovWeather(2026, Date.UTC(2026, 6, 1), 31) },
};

export type PolicyName = "fixed" | "thresholds" | "adaptive";

export interface PolicyResult {
  /** Endurance: hours from the start until the first hour without a heartbeat (or the cap). */
  hours: number;
  /** true when the box never missed a heartbeat up to the cap (endurance is then a lower bound). */
  capped: boolean;
  /** Hours within the scenario window that had at least one heartbeat. */
  heartbeatHours: number;
  modeHours: Record<string, number>;
  /** Data points delivered within the scenario window. */
  points: number;
  /** Lowest state of charge seen within the scenario window, %. */
  minSoc: number;
  modeChanges: number;
  harvestedWh: number;
  wastedWh: number;
}

export function defaultEnergyConfig(over: Partial<EnergyConfig> = {}): EnergyConfig {
  return { ...(Value.Default(EnergyConfig, {}) as EnergyConfig), ...over };
}

export function simulate(sc: Scenario, policy: PolicyName, cfgOver: Partial<EnergyConfig> = {}, trace?: (hour: number, box: SimBox, mode: string) => void): PolicyResult {
  const cfg = defaultEnergyConfig({ ...cfgOver, policy });
  const clock = new SimClock(sc.start);
  const box = new SimBox(clock, REFERENCE_BOX, { socPct: sc.socPct, weather: sc.weather() });
  const gpio = new SimGpio(() => clock.now());
  const VIDEO = { chip: "sim", line: 0 }, MODEM = { chip: "sim", line: 1 };
  box.videoOn = () => gpio.get(VIDEO.chip, VIDEO.line) === 1;
  box.cellularOn = () => gpio.get(MODEM.chip, MODEM.line) === 1;
  // An uplink that costs modem time: publishing while enabled keeps the modem active.
  const uplink = {
    get drainEnabled() { return box.streaming; },
    set drainEnabled(v: boolean) { box.streaming = v; },
    drain() { if (box.streaming) box.uplinkBurst(); },
  };
  const dir = mkdtempSync(join(tmpdir(), "energy-sim-"));
  const store = openStore(dir, { migrations: [...coreMigrations, ...energyMigrations] });
  const history = new EnergyHistory(store.db);

  const beats = new Set<number>();
  const modeMs: Record<string, number> = Object.fromEntries(MODE_IDS.map((m) => [m, 0]));
  modeMs.off = 0;
  let changes = 0, minSoc = 100;
  const windowEnd = sc.start + sc.hours * HOUR;

  // What runs while the box has power (rebuilt at each restart, as the gateway process would be).
  const live = { service: null as EnergyService | null, heartbeat: null as Heartbeat | null, batch: null as BatchKnob | null };
  const modeNow = (): string => (live.service && box.alive ? live.service.mode : "off");
  const boot = () => {
    const scheduler = new Scheduler((m: ModeId) => cfg.modes[m]);
    const batch = new BatchKnob({ uplink, clock, windowSec: REFERENCE_BOX.burstSec });
    live.batch = batch;
    const hb = new Heartbeat(clock, () => {
      if (!box.alive) return;
      beats.add(Math.floor((clock.now() - sc.start) / HOUR));
      // Heartbeats go over MQTT while the cellular modem is on, over LoRa when it is off (SPEC §7).
      if (box.cellularOn()) batch.flush(); else box.loraBurst(REFERENCE_BOX.loraTxSec);
    });
    live.heartbeat = hb;
    scheduler.knob("board.power", (m) => { box.boardState = m; });
    scheduler.knob("sampling", (_m, s) => { box.samplingHz = s.pollScale > 0 ? 1 / s.pollScale : 0; });
    scheduler.knob("video.power", videoKnob(gpio.outputSync(VIDEO, 0)));
    scheduler.knob("uplink.modem", modemPowerKnob(gpio.outputSync(MODEM, 1), () => true));
    scheduler.knob("telemetry.batch", batch.fn);
    scheduler.knob("heartbeat", heartbeatKnob(hb));
    const service = new EnergyService({ clock, sensor: new SimPowerSensor(box), cfg: () => cfg, scheduler, history, onChange: () => { if (clock.now() < windowEnd) changes++; } });
    live.service = service;
    service.start();
    hb.start();
  };
  const shutdown = () => {
    live.service?.stop(); live.heartbeat?.stop(); live.batch?.stop();
    box.streaming = false; box.samplingHz = 0;
    gpio.set(VIDEO.chip, VIDEO.line, 0);
    gpio.set(MODEM.chip, MODEM.line, 1);
    live.service = null;
  };
  box.onAlive((alive) => (alive ? boot() : shutdown()));
  box.start(60_000);
  boot();

  let firstMiss = -1, windowPoints = 0;
  for (let h = 0; h < sc.capHours; h++) {
    for (let m = 0; m < 60; m++) {
      clock.advance(60_000);
      const key = modeNow();
      if (h < sc.hours) { modeMs[key] += 60_000; minSoc = Math.min(minSoc, box.soc); }
    }
    if (h === sc.hours - 1) windowPoints = box.pointsDelivered;
    trace?.(h, box, modeNow());
    if (firstMiss < 0 && !beats.has(h)) firstMiss = h;
    // Past the scenario window we only run on to find the endurance.
    if (h >= sc.hours - 1 && firstMiss >= 0) break;
  }
  shutdown();
  box.stop();
  store.db.close();
  rmSync(dir, { recursive: true, force: true });
  const hbHours = [...beats].filter((h) => h < sc.hours).length;
  return {
    hours: firstMiss < 0 ? sc.capHours : firstMiss,
    capped: firstMiss < 0,
    heartbeatHours: hbHours,
    modeHours: Object.fromEntries(Object.entries(modeMs).map(([k, v]) => [k, Math.round((v / HOUR) * 10) / 10])),
    points: Math.round(windowPoints),
    minSoc: Math.round(minSoc * 10) / 10,
    modeChanges: changes,
    harvestedWh: Math.round(box.harvestedWh),
    wastedWh: Math.round(box.wastedWh),
  };
}
