// The knobs the energy module wires itself (others plug theirs into the same scheduler):
// telemetry batching on the uplink, video module power on a GPIO output, the heartbeat interval.
import type { Clock } from "../core/clock.ts";
import type { GpioLine } from "../../hw/gpio/types.ts";
import type { Heartbeat } from "./heartbeat.ts";
import type { KnobFn } from "./scheduler.ts";

/** What the batching knob needs of an uplink: MqttUplink has exactly this. */
export interface Drainable { drainEnabled: boolean; drain(): void }

/**
 * Telemetry batching. batchInterval 0: publish as data arrives. Otherwise the uplink is held back and
 * opened every batchInterval seconds for a window (until the buffer is empty, at least `windowSec`,
 * at most `maxWindowSec`), so the modem can idle in between. `flush()` opens a window now (heartbeats,
 * mode changes: critical data does not wait for the next batch).
 */
export class BatchKnob {
  private timer: number | null = null;
  private closer: number | null = null;
  private openedAt = 0;
  constructor(private readonly d: { uplink: Drainable; clock: Clock; isEmpty?: () => boolean; windowSec?: number; maxWindowSec?: number }) {}

  readonly fn: KnobFn = (_mode, s) => {
    if (this.timer !== null) this.d.clock.clearInterval(this.timer);
    this.timer = null;
    if (s.batchInterval <= 0) {
      this.clearCloser();
      this.d.uplink.drainEnabled = true;
      this.d.uplink.drain();
      return;
    }
    if (this.closer === null) this.d.uplink.drainEnabled = false;
    this.timer = this.d.clock.setInterval(() => this.flush(), s.batchInterval * 1000);
  };

  get batching(): boolean { return this.timer !== null; }

  flush(): void {
    // Not batching: data is published as it comes; just drain (and respect whoever holds the drain).
    if (!this.batching) { this.d.uplink.drain(); return; }
    if (this.closer !== null) { this.d.uplink.drain(); return; }   // a window is already open
    this.d.uplink.drainEnabled = true;
    this.d.uplink.drain();
    this.openedAt = this.d.clock.now();
    this.scheduleClose();
  }

  private scheduleClose(): void {
    this.clearCloser();
    this.closer = this.d.clock.setTimeout(() => {
      this.closer = null;
      if (!this.batching) return;                      // a mode without batching took over
      const waited = (this.d.clock.now() - this.openedAt) / 1000;
      if (this.d.isEmpty && !this.d.isEmpty() && waited < (this.d.maxWindowSec ?? 120)) { this.scheduleClose(); return; }
      this.d.uplink.drainEnabled = false;
    }, (this.d.windowSec ?? 15) * 1000);
  }

  private clearCloser(): void { if (this.closer !== null) this.d.clock.clearTimeout(this.closer); this.closer = null; }

  stop(): void {
    if (this.timer !== null) this.d.clock.clearInterval(this.timer);
    this.clearCloser();
    this.timer = null;
    this.d.uplink.drainEnabled = true;
  }
}

export function videoKnob(line: GpioLine): KnobFn {
  return async (_mode, s) => { await line.write(s.video ? 1 : 0); };
}

export function heartbeatKnob(hb: Heartbeat): KnobFn {
  return (_mode, s) => hb.setInterval(s.heartbeatInterval);
}

/**
 * Cellular modem power (GPIO) in modes that use only LoRa for critical data: the modem is the largest
 * idle draw in survival. It is powered down only while `loraReady()` says a LoRa uplink can carry the
 * heartbeats; otherwise it stays on (a box must never go silent to save 0.3 W).
 */
export function modemPowerKnob(line: GpioLine, loraReady: () => boolean): KnobFn {
  return async (_mode, s) => { await line.write(s.loraOnly && loraReady() ? 0 : 1); };
}
