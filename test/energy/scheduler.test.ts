// The scheduler moves every knob when the mode changes: telemetry batching on the uplink, video and
// modem power GPIO outputs, the heartbeat interval, and knobs other modules plug in.
import { describe, expect, test } from "bun:test";
import { SimClock } from "../../app/core/clock.ts";
import { Scheduler } from "../../app/energy/scheduler.ts";
import { BatchKnob, heartbeatKnob, modemPowerKnob, videoKnob } from "../../app/energy/knobs.ts";
import { Heartbeat } from "../../app/energy/heartbeat.ts";
import { EnergyService } from "../../app/energy/service.ts";
import { defaultEnergyConfig } from "../../app/energy/simulate.ts";
import { SimGpio } from "../../hw/gpio/sim.ts";
import { SimBox } from "../../hw/sim/box.ts";
import { SimPowerSensor } from "../../hw/power/sim.ts";
import { constantWeather } from "../../hw/sim/weather.ts";
import type { ModeId } from "../../app/energy/config.ts";

const cfg = defaultEnergyConfig();

/** Has exactly the shape of MqttUplink's drain control; counts what the knob does to it. */
class UplinkProbe { drainEnabled = true; drains = 0; drain() { if (this.drainEnabled) this.drains++; } }

function rig() {
  const clock = new SimClock();
  const gpio = new SimGpio(() => clock.now());
  const uplink = new UplinkProbe();
  const scheduler = new Scheduler((m: ModeId) => cfg.modes[m]);
  const beats: number[] = [];
  const hb = new Heartbeat(clock, () => beats.push(clock.now()));
  const batch = new BatchKnob({ uplink, clock, windowSec: 15 });
  const polls: number[] = [];
  scheduler.knob("telemetry.batch", batch.fn);
  scheduler.knob("video.power", videoKnob(gpio.outputSync({ chip: "c", line: 1 })));
  let lora = true;
  scheduler.knob("uplink.modem", modemPowerKnob(gpio.outputSync({ chip: "c", line: 2 }, 1), () => lora));
  scheduler.knob("heartbeat", heartbeatKnob(hb));
  scheduler.knob("bridge.poll", (_m, s) => { polls.push(s.pollScale); });   // as the bridge will plug in
  hb.start();
  return { clock, gpio, uplink, scheduler, hb, beats, batch, polls, setLora: (v: boolean) => { lora = v; } };
}

describe("scheduler knobs", () => {
  test("each knob moves on every mode change", () => {
    const r = rig();
    r.scheduler.apply("full");
    expect(r.gpio.get("c", 1)).toBe(1);                 // video powered
    expect(r.gpio.get("c", 2)).toBe(1);                 // cellular modem on
    expect(r.uplink.drainEnabled).toBe(true);           // telemetry sent as it arrives
    expect(r.hb.interval).toBe(900);
    expect(r.polls.at(-1)).toBe(1);

    r.scheduler.apply("saver");
    expect(r.gpio.get("c", 1)).toBe(0);                 // video off
    expect(r.gpio.get("c", 2)).toBe(1);
    expect(r.uplink.drainEnabled).toBe(false);          // held back between batches
    expect(r.hb.interval).toBe(1800);
    expect(r.polls.at(-1)).toBe(10);
    const before = r.uplink.drains;
    r.clock.advance(300_000);                           // batchInterval: the window opens and drains
    expect(r.uplink.drains).toBeGreaterThan(before);
    r.clock.advance(20_000);                            // and closes again
    expect(r.uplink.drainEnabled).toBe(false);

    r.scheduler.apply("survival");
    expect(r.gpio.get("c", 1)).toBe(0);
    expect(r.gpio.get("c", 2)).toBe(0);                 // LoRa only: cellular modem powered down
    expect(r.hb.interval).toBe(3600);
    expect(r.polls.at(-1)).toBe(0);

    r.scheduler.apply("full");
    expect(r.gpio.get("c", 1)).toBe(1);
    expect(r.uplink.drainEnabled).toBe(true);

    r.setLora(false);                                   // no LoRa uplink: the modem stays on in survival
    r.scheduler.apply("survival");
    expect(r.gpio.get("c", 2)).toBe(1);
  });

  test("heartbeats come at least every hour whatever the mode sequence", () => {
    const r = rig();
    const modes: ModeId[] = ["full", "survival", "saver", "survival", "full", "survival"];
    for (const m of modes) { r.scheduler.apply(m); r.clock.advance(5 * 3_600_000); }
    const gaps = r.beats.slice(1).map((t, i) => t - r.beats[i]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(3_600_000);
    expect(r.beats.length).toBeGreaterThanOrEqual(30);
  });

  test("a knob registered late gets the current mode; a failing knob does not stop the others", () => {
    const r = rig();
    r.scheduler.apply("saver");
    let seen: string | null = null;
    r.scheduler.knob("late", (m) => { seen = m; });
    expect(seen!).toBe("saver");
    r.scheduler.knob("broken", () => { throw new Error("boom"); });
    r.scheduler.apply("full");
    expect(r.gpio.get("c", 1)).toBe(1);
    expect(seen!).toBe("full");
    expect(r.scheduler.errors.get("broken")).toContain("boom");
  });

  test("end to end: the energy service changes mode and the knobs follow (vibration wake from survival)", () => {
    const clock = new SimClock(Date.UTC(2026, 6, 1, 18));            // night at the site
    const box = new SimBox(clock, undefined, { socPct: 22, weather: constantWeather("rain") });
    const gpio = new SimGpio(() => clock.now());
    box.videoOn = () => gpio.get("c", 1) === 1;
    const scheduler = new Scheduler((m: ModeId) => cfg.modes[m]);
    scheduler.knob("video.power", videoKnob(gpio.outputSync({ chip: "c", line: 1 })));
    const changes: string[] = [];
    const svc = new EnergyService({ clock, sensor: new SimPowerSensor(box), cfg: () => cfg, scheduler, onChange: (c) => changes.push(`${c.fromName}->${c.name}: ${c.reason}`) });
    svc.start();
    expect(svc.mode).toBe("survival");
    expect(changes).toEqual([]);                            // the boot mode is not a change
    expect(svc.controller.reason).toStartWith("boot:");
    expect(gpio.get("c", 1)).toBe(0);
    svc.vibration(3);
    expect(svc.mode).toBe("full");
    expect(gpio.get("c", 1)).toBe(1);                     // the video module is powered at once
    clock.advance((cfg.vibration.wake + 120) * 1000);
    expect(svc.mode).toBe("survival");
    expect(gpio.get("c", 1)).toBe(0);
    expect(changes[0]).toContain("survival->full: vibration 3.00 g");
    expect(changes.length).toBe(2);
    svc.stop();
  });
});

describe("batch knob", () => {
  test("a heartbeat flush opens a window while batching, and does not override a held drain otherwise", () => {
    const clock = new SimClock();
    const uplink = new UplinkProbe();
    const batch = new BatchKnob({ uplink, clock, windowSec: 15 });
    batch.fn("saver", cfg.modes.saver);
    expect(uplink.drainEnabled).toBe(false);
    batch.flush();
    expect(uplink.drainEnabled).toBe(true);
    expect(uplink.drains).toBe(1);
    clock.advance(16_000);
    expect(uplink.drainEnabled).toBe(false);
    batch.fn("full", cfg.modes.full);
    expect(uplink.drainEnabled).toBe(true);
    uplink.drainEnabled = false;                       // someone else holds the drain (a test, an update)
    batch.flush();
    expect(uplink.drainEnabled).toBe(false);
  });

  test("the window stays open while the buffer still holds data, up to maxWindowSec", () => {
    const clock = new SimClock();
    const uplink = new UplinkProbe();
    let rows = 100;
    const batch = new BatchKnob({ uplink, clock, windowSec: 15, maxWindowSec: 60, isEmpty: () => rows === 0 });
    batch.fn("saver", cfg.modes.saver);
    batch.flush();
    clock.advance(31_000);
    expect(uplink.drainEnabled).toBe(true);            // still sending the backlog
    rows = 0;
    clock.advance(15_000);
    expect(uplink.drainEnabled).toBe(false);
    rows = 100;
    batch.flush();
    clock.advance(90_000);
    expect(uplink.drainEnabled).toBe(false);           // bounded even if the buffer never empties
  });
});
