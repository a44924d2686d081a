// Composition root: builds every service, hands each its dependencies and config slice, and orders
// them for start (dependencies first) and stop (reverse). No module reaches for a global.
import { EventBus } from "./core/bus.ts";
import { SystemClock, type Clock } from "./core/clock.ts";
import { Lifecycle } from "./core/lifecycle.ts";
import { LogHub, type Level } from "./core/logger.ts";
import type { Config } from "./config/schema.ts";
import { ConfigStore } from "./config/store.ts";
import { openStore, type OpenResult } from "./store/db.ts";
import { KV } from "./store/kv.ts";
import { Outbox, PRIORITIES } from "./store/outbox.ts";
import { EventRecorder } from "./store/event-recorder.ts";
import { DropReporter } from "./store/drop-reporter.ts";
import { MqttUplink } from "./uplink/mqtt.ts";
import { SimCounter } from "./sources/sim-counter.ts";
import { SelfTelemetry } from "./sources/self-telemetry.ts";
import { SystemMetricsReader } from "./sources/system-metrics.ts";
import { Auth } from "./web/auth.ts";
import { Health } from "./web/health.ts";
import { Metrics } from "./web/metrics.ts";
import { WebServer } from "./web/server.ts";
import { baseRoutes } from "./web/api.ts";
import { landingPage } from "./web/landing.ts";
import type { Board } from "../hw/boards/index.ts";
import { VERSION } from "./version.ts";
import { installModules } from "./modules.ts";
import { energyOf } from "./energy/install.ts";
import { CommandRouter } from "./mgmt/commands.ts";
import { registerBuiltinCommands } from "./mgmt/builtin.ts";
import { DesiredConfig } from "./mgmt/desired-config.ts";
import { MemoryPacer } from "./core/memory-pacer.ts";

declare module "./core/bus.ts" {
  interface EventMap {
    "gateway.started": { version: string; board: string };
    "store.recovered": { movedTo: string; reason: string };
  }
}

export interface GatewayOptions {
  config: Config;
  configPath: string | null;
  dataDir: string;
  board: Board;
  clock?: Clock;
  logHub?: LogHub;
}

export class Gateway {
  readonly bus = new EventBus();
  readonly clock: Clock;
  readonly logs: LogHub;
  readonly lifecycle: Lifecycle;
  readonly config: ConfigStore;
  readonly store: OpenResult;
  readonly kv: KV;
  readonly outbox: Outbox;
  readonly recorder: EventRecorder;
  readonly uplink: MqttUplink;
  readonly web: WebServer;
  readonly commands: CommandRouter;
  readonly health = new Health();
  readonly memoryPacer: MemoryPacer;
  readonly metrics = new Metrics();
  readonly startedAt: number;
  /** Sections modules add to GET /api/status. */
  readonly statusSections = new Map<string, () => unknown>();

  constructor(readonly opts: GatewayOptions) {
    const cfg = opts.config;
    this.clock = opts.clock ?? new SystemClock();
    this.memoryPacer = new MemoryPacer({ clock: this.clock, rss: () => process.memoryUsage.rss(), collect: () => Bun.gc(false) });
    this.startedAt = this.clock.now();
    this.logs = opts.logHub ?? new LogHub(() => this.clock.now());
    this.logs.setLevel(cfg.log.level as Level);
    const log = this.logs.for("gateway");
    this.lifecycle = new Lifecycle((msg, f) => log.info(msg, f));
    this.config = new ConfigStore(cfg, opts.configPath, this.bus);

    // Store first: everything else writes into it.
    this.store = openStore(opts.dataDir);
    if (this.store.unknownMigrations.length)
      log.warn("database has migrations from a newer release (rollback); running with the tables this one knows", { unknown: this.store.unknownMigrations });
    this.kv = new KV(this.store.db);
    const drops = new DropReporter(this.bus, this.clock);
    this.outbox = new Outbox(this.store.db, {
      maxBytes: cfg.store.maxBytes,
      now: () => this.clock.now(),
      onDrop: (priority, count) => drops.dropped(priority, count),
      onError: (err) => this.bus.emit("store.error", { reason: err.reason, detail: err.message }),
    });
    this.recorder = new EventRecorder({ bus: this.bus, outbox: this.outbox, log: this.logs.for("events") });
    this.recorder.publish("gateway.started", "normal");
    this.recorder.publish("store.recovered", "critical");
    this.recorder.publish("store.dropped", "normal");
    this.recorder.publish("uplink.connected", "bulk");
    this.bus.on("store.error", (e) => this.logs.for("store").error(e.detail, { reason: e.reason }));
    if (this.store.recoveredFrom) {
      log.error("database was unreadable; moved aside and started a new one", this.store.recoveredFrom);
      this.bus.emit("store.recovered", this.store.recoveredFrom);
    }

    this.uplink = new MqttUplink({
      config: cfg, outbox: this.outbox, bus: this.bus, clock: this.clock, log: this.logs.for("uplink"), version: VERSION,
      mode: () => energyOf(this)?.service?.modeName() ?? "full",
    });
    // The retained status carries the energy mode: say it again whenever the mode changes.
    this.bus.on("energy.mode", () => this.uplink.publishStatus(true));
    this.outbox.onAdded(() => this.uplink.drain());
    this.commands = new CommandRouter(this.uplink, this.logs.for("mgmt"));
    registerBuiltinCommands({
      router: this.commands, config: this.config, logs: this.logs, version: VERSION, now: () => this.clock.now(), startedAt: this.startedAt,
      restart: (reason) => { log.warn("restarting", { reason }); void this.stop().finally(() => process.exit(0)); },
    });
    new DesiredConfig({ uplink: this.uplink, config: this.config, log: this.logs.for("mgmt"), now: () => this.clock.now() });

    const metricsReader = new SystemMetricsReader(opts.dataDir);
    const auth = new Auth({ kv: this.kv, provisionedHash: () => this.config.current.web.passwordHash, ttlSec: () => this.config.current.web.sessionTtl, now: () => this.clock.now() });
    this.web = new WebServer({ listen: cfg.web.listen, auth, log: this.logs.for("web"), page: landingPage });
    this.web.add(...baseRoutes({
      auth, health: this.health, metrics: this.metrics, config: this.config, outbox: this.outbox, uplink: this.uplink,
      version: VERSION, startedAt: this.startedAt, now: () => this.clock.now(),
      status: () => Object.fromEntries([...this.statusSections].map(([k, f]) => [k, f()])),
    }));
    this.addBaseHealthChecks(metricsReader);
    this.addBaseMetrics();

    // Live-applied configuration.
    this.bus.on("config.changed", () => {
      const c = this.config.current;
      this.logs.setLevel(c.log.level as Level);
      this.outbox.maxBytes = c.store.maxBytes;
    });

    // Start order: the store (opened above; closed last), then the uplink, the sources, the web page last
    // (so "healthy" means everything behind it is up). Stop runs in reverse.
    this.lifecycle.add({ name: "store", start: () => {}, stop: () => { this.recorder.flush(); try { this.store.db.close(); } catch { /* already closed */ } } });
    this.lifecycle.add(this.memoryPacer);
    this.lifecycle.add(this.uplink);
    this.lifecycle.add(new SimCounter({ rateHz: cfg.sim.counter.rateHz, outbox: this.outbox, kv: this.kv, clock: this.clock, log: this.logs.for("sim-counter") }));
    this.lifecycle.add(new SelfTelemetry({ intervalSec: cfg.telemetry.selfInterval, metrics: metricsReader, outbox: this.outbox, clock: this.clock, log: this.logs.for("self-telemetry") }));
    installModules(this);
    this.lifecycle.add(this.web);
  }

  private addBaseHealthChecks(m: SystemMetricsReader): void {
    const h = () => this.config.current.health;
    this.health.add(async () => { const v = (await m.read()).cpuPercent; return { name: "cpu", ok: v <= h().cpuMaxPercent, value: v, threshold: h().cpuMaxPercent }; });
    this.health.add(async () => { const v = (await m.read()).memPercent; return { name: "memory", ok: v <= h().memMaxPercent, value: v, threshold: h().memMaxPercent }; });
    this.health.add(async () => { const v = (await m.read()).diskPercent; return { name: "disk", ok: v <= h().diskMaxPercent, value: v, threshold: h().diskMaxPercent }; });
    this.health.add(() => {
      const s = this.uplink.status.state;
      return { name: "uplink", ok: !h().uplinkRequired || s === "connected", value: s, threshold: h().uplinkRequired ? "connected" : "any" };
    });
    this.health.add(() => {
      let ok = true, value: unknown;
      try {
        this.store.db.query("SELECT 1").get();
        const st = this.outbox.stats();
        value = Math.round((st.bytes / st.maxBytes) * 1000) / 10;
        ok = (value as number) <= h().bufferMaxPercent;
        if (this.outbox.lastError) { ok = false; value = this.outbox.lastError.message; }
      }
      catch (e) { ok = false; value = String(e); }
      return { name: "database", ok, value, threshold: h().bufferMaxPercent };
    });
  }

  private addBaseMetrics(): void {
    this.metrics.add(() => {
      const st = this.outbox.stats();
      const u = this.uplink.status;
      return [
        { name: "gateway_up", help: "1 while the gateway runs", type: "gauge", value: 1 },
        { name: "gateway_uptime_seconds", help: "Seconds since start", type: "gauge", value: Math.round((this.clock.now() - this.startedAt) / 1000) },
        { name: "gateway_buffer_bytes", help: "Payload bytes waiting in the outbox", type: "gauge", value: st.bytes },
        { name: "gateway_buffer_max_bytes", help: "Configured bound on the outbox", type: "gauge", value: st.maxBytes },
        ...PRIORITIES.map((p) => ({ name: "gateway_buffer_rows", help: "Points and events waiting, by priority", type: "gauge" as const, value: st.byPriority[p], labels: { priority: p } })),
        ...PRIORITIES.map((p) => ({ name: "gateway_buffer_dropped_total", help: "Rows dropped to stay within store.maxBytes", type: "counter" as const, value: st.dropped[p], labels: { priority: p } })),
        { name: "gateway_uplink_connected", help: "1 while MQTT is connected", type: "gauge", value: u.state === "connected" ? 1 : 0 },
        { name: "gateway_uplink_acked_messages_total", help: "Messages acknowledged by the broker", type: "counter", value: u.ackedMessages },
        { name: "gateway_uplink_inflight", help: "Messages sent and not yet acknowledged", type: "gauge", value: u.inflight },
        { name: "gateway_memory_collections_total", help: "Collections asked for after RSS grew (core/memory-pacer.ts)", type: "counter", value: this.memoryPacer.collections },
      ];
    });
  }

  async start(): Promise<void> {
    await this.lifecycle.start();
    this.bus.emit("gateway.started", { version: VERSION, board: this.opts.board.name });
  }

  async stop(): Promise<void> { await this.lifecycle.stop(); }
}
