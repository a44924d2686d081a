// Gateway self-telemetry on device `gateway`: cpu, mem, disk (percent) and temp (°C) every
// `telemetry.selfInterval` seconds, as bulk data (the first to go when the buffer is full).
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Outbox, Point } from "../store/outbox.ts";
import type { SystemMetricsReader } from "./system-metrics.ts";

export class SelfTelemetry {
  readonly name = "source.self-telemetry";
  private timer: number | null = null;
  constructor(private readonly d: { intervalSec: number; metrics: SystemMetricsReader; outbox: Outbox; clock: Clock; log: Logger }) {}

  start(): void {
    if (this.d.intervalSec <= 0) return;
    this.timer = this.d.clock.setInterval(() => { void this.sample(); }, this.d.intervalSec * 1000);
  }

  async sample(): Promise<void> {
    try {
      const m = await this.d.metrics.read();
      const ts = this.d.clock.now();
      const points: Point[] = [
        { tag: "cpu", v: m.cpuPercent, ts },
        { tag: "mem", v: m.memPercent, ts },
        { tag: "disk", v: m.diskPercent, ts },
      ];
      if (m.tempC !== null) points.push({ tag: "temp", v: m.tempC, ts });
      this.d.outbox.addPoints("gateway", points, "bulk");
    } catch (e) {
      this.d.log.warn("self telemetry failed", { error: String(e) });
    }
  }

  stop(): void {
    if (this.timer !== null) this.d.clock.clearInterval(this.timer);
    this.timer = null;
  }
}
