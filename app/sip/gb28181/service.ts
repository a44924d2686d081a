// The GB/T 28181 side of the gateway as one service: registrar + platform + liveness + bans + store,
// wired to the bus. It starts by restoring bindings from SQLite with every device offline
// ("gateway-restart") and queues a paced DeviceInfo query to each unexpired one, so a device is
// online again only once it is heard (SPEC section 5: re-verified, not assumed online).
import type { EventBus } from "../../core/bus.ts";
import type { Clock, TimerId } from "../../core/clock.ts";
import type { Logger } from "../../core/logger.ts";
import type { Service } from "../../core/lifecycle.ts";
import type { Database } from "bun:sqlite";
import { Bans } from "../registrar/bans.ts";
import type { InRequest, Answer, Sender } from "../registrar/port.ts";
import { Registrar, type GbSettings } from "../registrar/registrar.ts";
import { Liveness, type Transition } from "./liveness.ts";
import { Pacer } from "./pacer.ts";
import { Platform } from "./platform.ts";
import { DeviceStore } from "./store.ts";

declare module "../../core/bus.ts" {
  interface EventMap {
    "sip.device.online": { device: string; reason: string; ts: number; address: string; registeredUntil: number };
    "sip.device.offline": { device: string; reason: string; ts: number; lastHeard: number; registeredUntil: number };
    "sip.device.warning": { device: string; warning: string; detail: Record<string, unknown> };
    "sip.device.banned": { key: string; kind: string; until: number; failures: number; reason: string };
    "sip.device.catalog": { device: string; channels: number; sumNum: number; complete: boolean };
  }
}

/** Last-heard times (keepalives) are written this often, in one transaction of the ones that changed. */
const FLUSH_MS = 2_000;
/**
 * A last-heard time is written once it moved this far from the stored one (and at stop): a keepalive
 * every 60 s is written each time, a device heard every second (a chatty NVR, a load test re-registering)
 * costs one row per 30 s instead of one per flush: at 2,000 renewals/s that was 4,000 rows in one
 * transaction every 2 s, a stall that showed in the tail latency. The stored value is only shown after
 * a restart, never used for liveness (every device starts offline then).
 */
const HEARD_STEP_MS = 30_000;
/** Accepted REGISTERs and transitions are written in batches this often (see store.ts); small
 *  batches keep each write short (at 2,000 registrations/s about 100 rows per batch). */
const BIND_FLUSH_MS = 50;

export interface GbServiceDeps {
  settings: () => GbSettings;
  clock: Clock;
  bus: EventBus;
  db: Database;
  log: Logger;
  /** Sends a request through a client transaction (set once the engine exists). */
  send: Sender;
}

export class GbService implements Service {
  readonly name = "sip-gb28181";
  readonly liveness: Liveness;
  readonly store: DeviceStore;
  readonly bans: Bans;
  readonly registrar: Registrar;
  readonly platform: Platform;
  readonly pacer: Pacer;
  private flushTimer: TimerId | null = null;
  private bindTimer: TimerId | null = null;
  private readonly written = new Map<string, number>();

  constructor(private readonly d: GbServiceDeps) {
    const s = d.settings;
    this.store = new DeviceStore(d.db, () => s().transitionsKept);
    this.liveness = new Liveness({
      clock: d.clock,
      windowMs: () => s().keepaliveInterval * s().keepaliveTimeoutCount * 1000,
      onTransition: (t) => this.transition(t),
    });
    this.bans = new Bans(() => s().ban, () => d.clock.now());
    this.pacer = new Pacer(d.clock, () => s().queryPerSecond);
    const warning = (device: string, w: string, detail: Record<string, unknown>) => {
      d.log.warn(w, { device, ...detail });
      d.bus.emit("sip.device.warning", { device, warning: w, detail });
    };
    this.platform = new Platform({
      settings: s, clock: d.clock, liveness: this.liveness, store: this.store, send: (r) => d.send(r), log: d.log.child("platform"),
      events: {
        warning,
        catalog: (r) => d.bus.emit("sip.device.catalog", { device: r.device, channels: r.channels.length, sumNum: r.sumNum, complete: r.complete }),
        deviceInfo: () => {},
      },
    });
    this.registrar = new Registrar({
      settings: s, clock: d.clock, liveness: this.liveness, store: this.store, bans: this.bans, log: d.log.child("registrar"),
      events: {
        registered: (id, first, src) => {
          this.platform.noteRegistered(id, src);
          // A binding that will be written carries last_heard; a renewal store.bind() skipped does not.
          if (this.store.bindingPending(id)) this.written.set(id, this.liveness.get(id)?.lastHeard ?? 0);
          if (first && s().queryOnRegister) this.pacer.push(`query:${id}`, () => { void this.platform.query(id, "Catalog"); void this.platform.query(id, "DeviceInfo"); });
        },
        unregistered: (id) => this.platform.forget(id),
        banned: (b) => {
          d.log.warn("banned", { key: b.key, kind: b.kind, until: new Date(b.until).toISOString() });
          d.bus.emit("sip.device.banned", { key: b.key, kind: b.kind, until: b.until, failures: b.failures, reason: b.lastReason });
        },
        warning,
      },
    });
  }

  /** The label given to a device in config, or "". */
  deviceName(id: string): string { return this.d.settings().devices.find((x) => x.id === id)?.name ?? ""; }

  /** Routes a request the engine received to its user; undefined when it is not ours. */
  handle(req: InRequest): Answer | undefined {
    switch (req.method) {
      case "REGISTER": return this.registrar.handle(req);
      case "MESSAGE": return this.platform.message(req);
      case "BYE": return this.platform.bye(req);
      default: return undefined;
    }
  }

  start(): void {
    const now = this.d.clock.now();
    const rows = this.store.all();
    let reverify = 0;
    this.d.db.transaction(() => {
      for (const r of rows) {
        this.liveness.restore(r.id, r.expires_at, r.last_heard, r.state === "online");
        this.written.set(r.id, r.last_heard);
        if (r.expires_at > now && r.address) {
          const [host, port] = r.address.split(/:(?=[0-9]+$)/);
          this.platform.noteRegistered(r.id, { host, port: Number(port), transport: r.transport });
          this.pacer.push(`verify:${r.id}`, () => { void this.platform.query(r.id, "DeviceInfo"); });
          reverify++;
        }
      }
    })();
    if (rows.length) this.d.log.info("devices restored offline; re-verifying the registered ones", { devices: rows.length, reverify, perSecond: this.d.settings().queryPerSecond });
    this.liveness.start();
    this.flushTimer = this.d.clock.setInterval(() => this.flush(), FLUSH_MS);
    this.bindTimer = this.d.clock.setInterval(() => this.writeBindings(), BIND_FLUSH_MS);
  }

  private writeBindings(): void {
    try { this.store.writePending(); } catch (e) { this.d.log.error("bindings not stored", { error: String(e) }); }
  }

  stop(): void {
    this.liveness.stop();
    this.pacer.stop();
    this.platform.stop();
    if (this.flushTimer !== null) this.d.clock.clearInterval(this.flushTimer);
    if (this.bindTimer !== null) this.d.clock.clearInterval(this.bindTimer);
    this.flushTimer = this.bindTimer = null;
    this.flush(true);
  }

  /** Writes last-heard times that moved by HEARD_STEP_MS since stored (`all`: every change, at stop). */
  flush(all = false): void {
    const list: { id: string; lastHeard: number }[] = [];
    const step = all ? 1 : HEARD_STEP_MS;
    for (const e of this.liveness.all()) if (e.lastHeard && e.lastHeard - (this.written.get(e.id) ?? 0) >= step) list.push({ id: e.id, lastHeard: e.lastHeard });
    try {
      this.store.flushHeard(list);
      for (const x of list) this.written.set(x.id, x.lastHeard);
    } catch (e) { this.d.log.error("last-heard times not stored", { error: String(e) }); }
  }

  private transition(t: Transition): void {
    try { this.store.transition(t.device, t.ts, t.state, t.reason); }
    catch (e) { this.d.log.error("transition not stored", { device: t.device, error: String(e) }); }
    this.d.log.info(`device ${t.state}`, { device: t.device, reason: t.reason });
    if (t.state === "online") {
      const b = this.store.binding(t.device);
      this.d.bus.emit("sip.device.online", { device: t.device, reason: t.reason, ts: t.ts, address: b?.address ?? "", registeredUntil: t.registeredUntil });
    } else {
      this.d.bus.emit("sip.device.offline", { device: t.device, reason: t.reason, ts: t.ts, lastHeard: t.lastHeard, registeredUntil: t.registeredUntil });
    }
  }
}
