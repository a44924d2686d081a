// Plugs the energy module into the gateway (see app/modules.ts): the board's power sensors and GPIO,
// the policy service, the scheduler with the knobs this module owns (telemetry batching, video power,
// modem power, heartbeat), the heartbeat, GET /api/energy, status, metrics. Other modules add their
// knobs through energyOf(gw)?.scheduler.knob(name, fn) — e.g. the bridge's Modbus poll scale.
import type { Gateway } from "../gateway.ts";
import type { Logger } from "../core/logger.ts";
import type { BoardLines } from "../../hw/boards/index.ts";
import { VERSION } from "../version.ts";
import { openGpio } from "../../hw/gpio/index.ts";
import type { GpioDriver, GpioLine } from "../../hw/gpio/types.ts";
import { openPowerSensor } from "../../hw/power/index.ts";
import { SimBox } from "../../hw/sim/box.ts";
import { REFERENCE_BOX } from "../../hw/sim/reference-box.ts";
import { markovWeather } from "../../hw/sim/weather.ts";
import { SimGpio } from "../../hw/gpio/sim.ts";
import { energyRoutes } from "./api.ts";
import { MODE_IDS } from "./config.ts";
import { Heartbeat } from "./heartbeat.ts";
import { EnergyHistory } from "./history.ts";
import { BatchKnob, heartbeatKnob, modemPowerKnob, videoKnob } from "./knobs.ts";
import { Scheduler } from "./scheduler.ts";
import { EnergyService } from "./service.ts";
import { FixedStrategy } from "./baselines.ts";
import { setBridgePollScale } from "../bridge/install.ts";

/** The bridge clamps its poll scale to 10 000 (a 1 s poll becomes ~2.8 h): as good as stopped. */
const BRIDGE_MAX_SCALE = 10_000;

declare module "../core/bus.ts" {
  interface EventMap {
    /** A mode change, with why (published to MQTT `events`, critical). */
    "energy.mode": { mode: string; from: string; reason: string; soc: number; solarW: number | null; forecastWh: number };
    /** The box is alive (published to MQTT `events`, critical; at least hourly in every mode). */
    "heartbeat": { seq: number; mode: string; soc: number | null; uptime: number; version: string };
  }
}

export interface EnergyHandle {
  scheduler: Scheduler;
  heartbeat: Heartbeat;
  service: EnergyService | null;
  startError: string | null;
  simulated: boolean;
  board: string;
  box: SimBox | null;
  gpio: GpioDriver | null;
  inputs: { chrg: boolean | null; pgood: boolean | null; lastVibration: number | null };
  /**
   * Whether a LoRa uplink can carry critical data now. The LoRa module sets it; until then the
   * cellular modem is never powered down on a real board (the simulated box has a simulated modem).
   */
  loraAvailable: () => boolean;
}

const handles = new WeakMap<Gateway, EnergyHandle>();

/** The energy module of a gateway, for modules that plug knobs into its scheduler. */
export function energyOf(gw: Gateway): EnergyHandle | undefined { return handles.get(gw); }

export function installEnergy(gw: Gateway): void {
  const cfg = () => gw.config.current.energy;
  const log = gw.logs.for("energy");
  const board = gw.opts.board;
  const scheduler = new Scheduler((m) => cfg().modes[m], log);
  const batch = new BatchKnob({ uplink: gw.uplink, clock: gw.clock, isEmpty: () => gw.outbox.stats().rows === 0 });
  const h: EnergyHandle = {
    scheduler, service: null, startError: null, simulated: board.simulated, board: board.name, box: null, gpio: null,
    inputs: { chrg: null, pgood: null, lastVibration: null },
    loraAvailable: () => board.simulated,
    heartbeat: new Heartbeat(gw.clock, (seq) => {
      const s = h.service;
      gw.bus.emit("heartbeat", { seq, mode: s ? s.modeName() : cfg().modeNames.full, soc: s?.reading ? Math.round(s.reading.battery.soc * 10) / 10 : null, uptime: Math.round((gw.clock.now() - gw.startedAt) / 1000), version: VERSION });
      batch.flush();                                   // critical: do not wait for the next batch window
    }, cfg().modes.full.heartbeatInterval),
  };
  handles.set(gw, h);
  gw.recorder.publish("energy.mode", "critical");
  gw.recorder.publish("heartbeat", "critical");
  scheduler.knob("telemetry.batch", batch.fn);
  scheduler.knob("heartbeat", heartbeatKnob(h.heartbeat));
  // Modbus poll periods × pollScale; 0 ("stop polling") becomes the bridge's largest scale.
  scheduler.knob("bridge.poll", (_m, s) => setBridgePollScale(gw, s.pollScale > 0 ? s.pollScale : BRIDGE_MAX_SCALE));

  const lines: GpioLine[] = [];
  gw.lifecycle.add({
    name: "energy",
    start: async () => {
      const e = board.energy;
      let sensor;
      try {
        if (!e) throw new Error(`board ${board.name} declares no energy hardware`);
        if (e.power.driver === "sim" || e.gpio.driver === "sim") {
          const gpio = new SimGpio(() => gw.clock.now());
          const box = new SimBox(gw.clock, REFERENCE_BOX, { socPct: 80, weather: markovWeather(Math.floor(gw.clock.now() / 86_400_000), gw.clock.now(), 366) });
          const l = e.gpio.lines;
          if (l.videoPower) box.videoOn = () => gpio.get(l.videoPower!.chip, l.videoPower!.line) === 1;
          if (l.modemPower) box.cellularOn = () => gpio.get(l.modemPower!.chip, l.modemPower!.line) === 1;
          // The simulated charger drives its status pins like a real one (active low on real boards).
          const pin = (spec: typeof l.chrg, on: boolean) => { if (spec) gpio.set(spec.chip, spec.line, (on !== !!spec.activeLow) ? 1 : 0); };
          const mirror = () => { pin(l.chrg, box.alive && box.solarW > box.loadW); pin(l.pgood, box.solarW > 0.5); };
          box.onStep(mirror);
          mirror();
          box.start(60_000);
          h.box = box; h.gpio = gpio;
        } else h.gpio = openGpio(e.gpio.driver, { root: e.gpio.root, now: () => gw.clock.now(), onError: (spec, message) => log.error("gpio line lost", { chip: spec.chip, line: spec.line, error: message }) });
        sensor = openPowerSensor(e.power, { box: h.box ?? undefined, now: () => gw.clock.now() });
        await wireLines(h, e.gpio.lines, lines, log, () => cfg().vibration.edgeG);
      } catch (err) {
        // No energy hardware (or it failed): run everything in full with heartbeats, and say why.
        h.startError = err instanceof Error ? err.message : String(err);
        log.warn("energy hardware unavailable; running in full mode", { error: h.startError });
        scheduler.apply("full");
        h.heartbeat.start();
        return;
      }
      const service = new EnergyService({
        clock: gw.clock, sensor, cfg, scheduler, log, history: new EnergyHistory(gw.store.db),
        strategy: cfg().enabled ? undefined : new FixedStrategy(),
        onChange: (c) => gw.bus.emit("energy.mode", { mode: c.name, from: c.fromName, reason: c.reason, soc: c.soc, solarW: c.solarW, forecastWh: c.forecastWh }),
      });
      h.service = service;
      service.start();
      h.heartbeat.start();
    },
    stop: () => {
      h.service?.stop();
      h.heartbeat.stop();
      batch.stop();
      h.box?.stop();
      for (const l of lines) l.close();
      h.gpio?.close();
    },
  });

  // A changed mode table applies at once (the policy reads cfg() on every evaluation).
  gw.bus.on("config.changed", ({ paths }) => {
    if (paths.some((p) => p === "energy" || p.startsWith("energy.")) && scheduler.current) scheduler.apply(scheduler.current);
  });

  gw.web.add(...energyRoutes(h));
  gw.statusSections.set("energy", () => {
    const s = h.service;
    return s ? { mode: s.modeName(), reason: s.controller.reason, soc: s.reading?.battery.soc ?? null, solarW: s.reading?.solar.watts ?? null } : { mode: cfg().modeNames.full, reason: h.startError ?? "starting" };
  });
  gw.metrics.add(() => {
    const s = h.service, r = s?.reading;
    const out: any[] = [
      { name: "gateway_heartbeats_total", help: "Heartbeats sent", type: "counter", value: h.heartbeat.seq },
    ];
    if (r) {
      out.push({ name: "gateway_energy_soc_percent", help: "Battery state of charge", type: "gauge", value: Math.round(r.battery.soc * 10) / 10 });
      if (r.solar.watts !== null) out.push({ name: "gateway_energy_solar_watts", help: "Panel power", type: "gauge", value: Math.round(r.solar.watts * 100) / 100 });
    }
    if (s) for (const m of MODE_IDS) out.push({ name: "gateway_energy_mode", help: "1 for the current energy mode", type: "gauge", value: s.mode === m ? 1 : 0, labels: { mode: cfg().modeNames[m] } });
    return out;
  });
}

/** Opens the board's lines and plugs the output ones into the scheduler, the inputs into the policy. */
async function wireLines(h: EnergyHandle, l: BoardLines, opened: GpioLine[], log: Logger, edgeG: () => number): Promise<void> {
  const gpio = h.gpio!;
  const tryOpen = async (what: string, f: () => Promise<GpioLine>): Promise<GpioLine | null> => {
    try { const line = await f(); opened.push(line); return line; }
    catch (e) { log.warn("gpio line unavailable", { line: what, error: String(e) }); return null; }
  };
  if (l.videoPower) { const line = await tryOpen("videoPower", () => gpio.output(l.videoPower!, 0)); if (line) h.scheduler.knob("video.power", videoKnob(line)); }
  if (l.modemPower) { const line = await tryOpen("modemPower", () => gpio.output(l.modemPower!, 1)); if (line) h.scheduler.knob("uplink.modem", modemPowerKnob(line, () => h.loraAvailable())); }
  if (l.loraReset) {
    // Pulse reset once at start so the modem begins from a known state (the LoRa driver may pulse again).
    const line = await tryOpen("loraReset", () => gpio.output(l.loraReset!, 1));
    if (line) { await Bun.sleep(1); await line.write(0); }       // ≥ 100 µs reset pulse (SX126x datasheet)
  }
  for (const name of ["chrg", "pgood"] as const) {
    const spec = l[name];
    if (!spec) continue;
    const line = await tryOpen(name, () => gpio.input(spec, "both"));
    if (!line) continue;
    h.inputs[name] = (await line.read()) === 1;
    line.watch((v) => { h.inputs[name] = v === 1; });
  }
  if (l.vibration) {
    const line = await tryOpen("vibration", () => gpio.input(l.vibration!, "rising"));
    // The accelerometer raises its interrupt when acceleration passes the threshold programmed into
    // it; the edge counts as `vibration.edgeG` g against `vibration.thresholdG`.
    line?.watch((_v, ts) => { h.inputs.lastVibration = ts; h.service?.vibration(edgeG()); });
  }
}
