// The bridge service: one line (stack + TCP connection or serial port) per distinct address, one
// poller per device, writes routed to the device's line. South only: it writes points and events
// into the outbox and never talks to the uplink (DESIGN.md: south and north meet at the outbox).
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Point, Priority } from "../store/outbox.ts";
import type { BridgeConfigT } from "./config.ts";
import { buildModel, type Device, type ModelError } from "./model.ts";
import { UnitClient } from "./modbus/client.ts";
import { GAP_COST } from "./modbus/coalesce.ts";
import { DevicePoller } from "./modbus/poller.ts";
import { openRtuLine } from "./modbus/rtu.ts";
import type { ModbusStack } from "./modbus/stack.ts";
import { openTcpLine } from "./modbus/tcp.ts";
import { bridgeWriteTo, type WriteReply, type WriteRequest } from "./modbus/writes.ts";

export interface BridgeDeps {
  clock: Clock;
  log: Logger;
  addPoints: (device: string, points: Point[], prio: Priority) => void;
  onDown: (e: { device: string; reason: string; failures: number }) => void;
  onUp: (e: { device: string; downMs: number }) => void;
  /** Opens a line; replaced in tests and benchmarks. */
  openLine?: (d: Device) => ModbusStack;
}

export class Bridge {
  readonly name = "bridge";
  readonly lines = new Map<string, ModbusStack>();
  readonly pollers = new Map<string, DevicePoller>();
  readonly clients = new Map<string, UnitClient>();
  readonly errors: ModelError[];
  readonly skipped: { name: string; errors: ModelError[] }[];
  private scale = 1;

  constructor(cfg: BridgeConfigT, private readonly d: BridgeDeps) {
    const model = buildModel(cfg);
    this.errors = model.errors;
    this.skipped = model.skipped;
    for (const e of model.errors) d.log.error("bridge config error; device skipped", { path: e.path, reason: e.reason });
    const open = d.openLine ?? ((dev: Device) => dev.tcp ? openTcpLine(dev.tcp, d.clock) : openRtuLine(dev.rtu!, d.clock));
    for (const dev of model.devices) {
      let line = this.lines.get(dev.lineKey);
      if (!line) { line = open(dev); this.lines.set(dev.lineKey, line); }
      const client = new UnitClient(line, dev.unit, dev.timeoutMs);
      this.clients.set(dev.name, client);
      this.pollers.set(dev.name, new DevicePoller(dev, {
        clock: d.clock, log: d.log, client, gap: GAP_COST[dev.transport],
        addPoints: d.addPoints, onDown: d.onDown, onUp: d.onUp,
      }));
    }
  }

  start(): void {
    for (const p of this.pollers.values()) p.start();
    if (this.pollers.size) this.d.log.info("bridge started", { devices: this.pollers.size, lines: this.lines.size });
  }

  stop(): void {
    for (const p of this.pollers.values()) p.stop();
    for (const l of this.lines.values()) l.close();
  }

  /** Energy knob: every poll period × factor (1 = as configured, 4 = a quarter as often). */
  setPollScale(factor: number): void {
    if (!Number.isFinite(factor) || factor <= 0) throw new Error("poll scale must be a positive number");
    this.scale = Math.min(10_000, Math.max(0.01, factor));
    for (const p of this.pollers.values()) p.setScale(this.scale);
  }

  get pollScale(): number { return this.scale; }

  write(req: WriteRequest): Promise<WriteReply> {
    return bridgeWriteTo(req, (name) => {
      const poller = this.pollers.get(name), client = this.clients.get(name);
      return poller && client ? { device: poller.device, client, afterWrite: () => poller.pollSoon() } : undefined;
    });
  }

  devices(): unknown[] {
    const out: unknown[] = [];
    for (const p of this.pollers.values()) {
      const dev = p.device;
      const line = this.lines.get(dev.lineKey)!;
      out.push({
        name: dev.name, transport: dev.transport, address: dev.describe, unit: dev.unit,
        state: p.state, consecutiveFailures: p.failures, lastError: p.lastError, lastOkAt: p.lastOkAt, downSince: p.downSince,
        pollMs: dev.pollMs, effectivePollMs: p.intervalMs, nextPollAt: p.nextPollAt,
        tags: dev.tags.length, readsPerCycle: p.blocks.length,
        blocks: p.blocks.map((b) => ({ area: b.area, start: b.start, count: b.count, tags: b.ids.length })),
        stats: { ...p.stats }, line: { ...line.stats, waiting: line.waiting },
      });
    }
    for (const s of this.skipped) out.push({ name: s.name, state: "config-error", errors: s.errors });
    return out;
  }

  tags(device?: string): unknown[] {
    const out: unknown[] = [];
    for (const p of this.pollers.values()) {
      if (device && p.device.name !== device) continue;
      for (const t of p.device.tags) {
        const v = p.values.get(t.id);
        out.push({
          device: p.device.name, name: t.name, area: t.area, address: t.address, type: t.type,
          ...(t.length !== undefined ? { length: t.length } : {}), ...(t.bit !== undefined ? { bit: t.bit } : {}),
          byteOrder: t.byteOrder, wordOrder: t.wordOrder, scale: t.scale, offset: t.offset, deadband: t.deadband, writable: t.writable,
          v: v?.v ?? null, q: v?.q ?? "uncertain:not-read-yet", ts: v?.ts ?? null,
        });
      }
    }
    return out;
  }
}
